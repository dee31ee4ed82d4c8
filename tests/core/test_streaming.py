"""A streamed answer as the user sees it: throttled edits, marker, splitting, failures."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import pytest

from bot.core.models import DeliveryError, MessageRef, Reply
from bot.core.streaming import StreamingReply, StreamResult
from bot.core.texts import t
from bot.relay import errors
from bot.sim.media import make_png
from tests.fakes.clock import SchedulingClock
from tests.fakes.responder import RecordingResponder, limits

MARKER = t("stream.writing")


async def _chunks(
    clock: SchedulingClock,
    pieces: Sequence[str],
    step_s: float = 0.1,
    fail: Exception | None = None,
) -> AsyncIterator[str]:
    for piece in pieces:
        await clock.sleep(step_s)
        yield piece
    if fail is not None:
        raise fail


async def _stream(
    responder: RecordingResponder, clock: SchedulingClock, chunks: AsyncIterator[str]
) -> StreamResult:
    streamer = StreamingReply(responder, locale="en", clock=clock, sleep=clock.sleep)
    return await clock.run(streamer.run(chunks))


async def test_edits_are_throttled_never_repeat_and_end_without_marker() -> None:
    clock = SchedulingClock()
    responder = RecordingResponder(limits(edit_interval_s=1.0), clock)
    words = [f"word{i} " for i in range(50)]  # 5 seconds of streaming

    result = await _stream(responder, clock, _chunks(clock, words))

    assert result.text == "".join(words)
    assert result.error is None
    sends = [e for e in responder.events if e.kind == "send"]
    edits = [e for e in responder.events if e.kind == "edit"]
    assert len(sends) == 1
    assert 3 <= len(edits) <= 6
    times = [e.at for e in responder.events]
    assert all(later - earlier >= 1.0 - 1e-9 for earlier, later in itertools.pairwise(times))
    texts = [e.text for e in responder.events]
    assert all(a != b for a, b in itertools.pairwise(texts))
    assert all(text.endswith(MARKER) for text in texts[:-1])
    assert texts[-1] == "".join(words).strip()


async def test_long_answer_continues_in_new_messages() -> None:
    clock = SchedulingClock()
    responder = RecordingResponder(limits(max_text=300, edit_interval_s=1.0), clock)
    sentences = [f"Sentence number {i} is here. " for i in range(60)]

    result = await _stream(responder, clock, _chunks(clock, sentences, step_s=0.05))

    final = responder.final_texts()
    assert len(final) > 4
    assert all(len(text) <= 300 for e in responder.events for text in [e.text])
    assert not any(MARKER in text for text in final.values())
    assert " ".join(final.values()).split() == result.text.split()
    assert all(text.endswith(".") for text in final.values())


async def test_messages_completed_by_a_split_are_not_edited_again() -> None:
    clock = SchedulingClock()
    responder = RecordingResponder(limits(max_text=100, edit_interval_s=1.0), clock)
    await _stream(responder, clock, _chunks(clock, ["abc def. " * 5] * 12, step_s=0.5))
    last_event_of = {e.message_id: i for i, e in enumerate(responder.events)}
    first_event_of = {}
    for i, e in enumerate(responder.events):
        first_event_of.setdefault(e.message_id, i)
    ids = sorted(first_event_of, key=first_event_of.__getitem__)
    for earlier, later in itertools.pairwise(ids):
        assert last_event_of[earlier] < first_event_of[later] + 1


async def test_failure_mid_stream_keeps_text_and_adds_a_note() -> None:
    clock = SchedulingClock()
    responder = RecordingResponder(limits(), clock)
    broken = errors.RelayConnectionError("the answer stream ended before [DONE]", sent=True)

    result = await _stream(responder, clock, _chunks(clock, ["Once upon ", "a time"], fail=broken))

    assert result.error is broken
    assert result.text == "Once upon a time"
    final = responder.events[-1].text
    assert final.startswith("Once upon a time\n\n")
    assert final.endswith(t("stream.interrupted", reason=t("error.connection")))
    assert MARKER not in final


async def test_failure_before_any_text_is_raised_for_the_dispatcher() -> None:
    clock = SchedulingClock()
    responder = RecordingResponder(limits(), clock)
    with pytest.raises(errors.AuthError):
        await _stream(
            responder, clock, _chunks(clock, [], fail=errors.AuthError("bad key", status=401))
        )
    assert responder.events == []


async def test_empty_answer_is_said_so() -> None:
    clock = SchedulingClock()
    responder = RecordingResponder(limits(), clock)
    await _stream(responder, clock, _chunks(clock, ["", "  "]))
    assert responder.sent_texts()[-1] == t("stream.empty")


async def test_code_block_stays_intact_across_messages() -> None:
    clock = SchedulingClock()
    responder = RecordingResponder(limits(max_text=200), clock)
    code = "```python\n" + "".join(f"x = {i}\n" for i in range(8)) + "```\n"
    text = "Intro line that is long enough to matter here. " * 2 + "\n" + code + "Done."
    pieces = [text[i : i + 7] for i in range(0, len(text), 7)]

    await _stream(responder, clock, _chunks(clock, pieces, step_s=0.3))

    finals = list(responder.final_texts().values())
    holding = [f for f in finals if "x = 0" in f]
    assert len(holding) == 1 and "x = 7" in holding[0]
    assert holding[0].count("```") == 2


async def test_every_message_fits_when_the_platform_counts_utf16_units() -> None:
    def utf16(text: str) -> int:
        return len(text.encode("utf-16-le")) // 2

    clock = SchedulingClock()
    platform = dataclasses.replace(limits(max_text=300, edit_interval_s=1.0), text_length=utf16)
    responder = RecordingResponder(platform, clock)
    sentences = [f"🎨🖼️🌅 painting number {i} is done. " for i in range(40)]

    result = await _stream(responder, clock, _chunks(clock, sentences))

    assert result.error is None
    assert len({e.message_id for e in responder.events}) >= 3
    assert all(utf16(e.text) <= 300 for e in responder.events)


@dataclass
class FlakyEditResponder(RecordingResponder):
    """Refuses the first edit, as Telegram does on a network blip or a deleted message."""

    refusals: int = 1

    async def edit(self, ref: MessageRef, reply: Reply) -> None:
        if self.refusals > 0:
            self.refusals -= 1
            raise DeliveryError("Telegram refused editMessageText: Timed out")
        await super().edit(ref, reply)


async def test_one_refused_edit_does_not_abandon_the_streamed_answer() -> None:
    clock = SchedulingClock()
    responder = FlakyEditResponder(limits(edit_interval_s=1.0), clock)
    words = [f"word{i} " for i in range(40)]

    async def chunks() -> AsyncIterator[str]:
        for word in words:
            await clock.sleep(0.1)
            yield word

    streamer = StreamingReply(responder, locale="en", clock=clock, sleep=clock.sleep)
    result = await clock.run(streamer.run(chunks()))

    assert result.text == "".join(words)
    shown = responder.final_texts()
    assert list(shown.values()) == ["".join(words).strip()]  # complete, no marker left
    assert MARKER not in next(iter(shown.values()))


def _png_uri() -> str:
    return "data:image/png;base64," + base64.b64encode(make_png(4, 4, (1, 2, 3))).decode()


async def test_many_small_data_uris_send_a_bounded_number_of_files() -> None:
    clock = SchedulingClock()
    responder = RecordingResponder(limits(), clock)
    pieces = [f"picture {n}: ![p]({_png_uri()})\n" for n in range(60)]
    streamer = StreamingReply(responder, locale="en", clock=clock, sleep=clock.sleep,
                              max_chars=20_000)
    await clock.run(streamer.run(_chunks(clock, pieces, step_s=0.0)))
    files = [f for e in responder.events for f in e.reply.files]
    assert 1 <= len(files) <= 10
    final = "\n".join(responder.final_texts().values())
    assert t("stream.inline_over_limit", count=60 - len(files)) in final


@dataclass
class SlowSendResponder(RecordingResponder):
    """A first message that takes a while to be sent (a slow network), as edits do not."""

    send_s: float = 0.5

    async def send(self, reply: Reply) -> MessageRef:
        assert self.clock is not None
        await self.clock.sleep(self.send_s)
        return await super().send(reply)


async def test_an_answer_ending_while_its_first_message_is_sent_is_shown_once() -> None:
    # The stream ends while the interim send of the first text is on its way: that send
    # finishes and the final text edits the same message, never a second one.
    clock = SchedulingClock()
    responder = SlowSendResponder(limits(edit_interval_s=1.0), clock)

    result = await _stream(responder, clock, _chunks(clock, ["Hello ", "there."], step_s=0.1))

    assert [(e.kind, e.text) for e in responder.events] == [
        ("send", "Hello\n\n" + MARKER), ("edit", "Hello there."),
    ]
    assert result.text == "Hello there." and len(result.messages) == 1


async def test_an_answer_ending_before_any_flush_is_sent_once_without_marker() -> None:
    clock = SchedulingClock()
    responder = RecordingResponder(limits(edit_interval_s=1.0), clock)

    async def all_at_once() -> AsyncIterator[str]:
        for piece in ("One ", "go."):
            yield piece  # no wait between pieces: the whole answer arrived together

    result = await _stream(responder, clock, all_at_once())

    assert [(e.kind, e.text) for e in responder.events] == [("send", "One go.")]
    assert len(result.messages) == 1


async def test_nothing_of_the_reply_runs_before_the_answer_s_first_text() -> None:
    # The relay request goes out on the first read of the chunks: a flusher task started
    # before it would take a step of the loop ahead of the request's write.
    clock = SchedulingClock()
    responder = RecordingResponder(limits(edit_interval_s=1.0), clock)
    tasks_before_text: list[str] = []

    async def answer() -> AsyncIterator[str]:
        tasks_before_text.extend(task.get_coro().__qualname__ for task in asyncio.all_tasks())
        await clock.sleep(0.1)
        yield "Hello."

    result = await _stream(responder, clock, answer())

    assert not [name for name in tasks_before_text if "flush" in name]
    assert [(e.kind, e.text) for e in responder.events] == [("send", "Hello.")]
    assert result.text == "Hello."
