"""Review 2: bugs a chat user would hit in the command core (each failed before its fix)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from aiohttp import web

from bot.commands import build_dispatcher
from bot.core.delivery import fetch_images
from bot.core.failures import describe_failure
from bot.core.models import ChatRef, DeliveryError, Invocation, MessageRef, Reply, UserRef
from bot.core.streaming import StreamingReply
from bot.core.texts import t
from bot.relay import errors
from bot.sim import Fault
from bot.sim.media import make_png
from tests.core.conftest import World
from tests.core.fakes import FakeClock, RecordingResponder, limits

ALICE = UserRef("u1", "alice")
PRIVATE = ChatRef("test", "c1")
CHAT_PATH = "/v1/chat/completions"
MARKER = t("stream.writing")


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
    clock = FakeClock()
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


async def test_trimmed_history_never_starts_with_an_answer_without_its_question(
    world: World,
) -> None:
    services = replace(world.services, config=replace(
        world.services.config, bot=replace(world.services.config.bot, history_chars=1000)))
    store = services.store
    conversation = await store.active_conversation("test", "c1", "")
    await store.append_message(conversation.id, "user", "q" * 800)
    await store.append_message(conversation.id, "assistant", "a" * 300)
    responder = RecordingResponder()

    await build_dispatcher(services).handle(
        Invocation(user=ALICE, chat=PRIVATE, text="next question"), responder)

    body = world.sim.requests_to(CHAT_PATH)[-1].json
    assert isinstance(body, dict)
    roles = [m["role"] for m in body["messages"] if m["role"] != "system"]
    assert roles[0] == "user"  # Claude/Gemini refuse a conversation opening with "assistant"
    assert roles[-1] == "user"


async def test_an_absurd_retry_after_still_gets_a_rate_limit_answer(world: World) -> None:
    world.sim.add_fault(Fault("POST", CHAT_PATH, status=429, headers={"Retry-After": "1e400"}))
    responder = RecordingResponder()

    await build_dispatcher(world.services).handle(
        Invocation(user=ALICE, chat=PRIVATE, text="hello"), responder)  # must not raise

    texts = responder.sent_texts()
    assert len(texts) == 1 and "Too many requests" in texts[0]
    assert describe_failure(errors.RateLimitedError(
        "slow down", status=429, retry_after=float("inf"))) is not None


async def test_nan_speed_is_refused_before_paying_for_speech(world: World) -> None:
    responder = RecordingResponder()

    await build_dispatcher(world.services).handle(
        Invocation(user=ALICE, chat=PRIVATE, text="/tts hello there speed=nan"), responder)

    assert world.sim.requests_to("/v1/audio/speech") == []
    assert len(responder.sent_texts()) == 1
    assert "speed" in responder.sent_texts()[0]
    assert not any(e.reply.files for e in responder.events)


async def test_an_html_page_served_as_image_png_stays_a_link(world: World) -> None:
    """A host that answers every path with an HTML page but says image/png: sending that
    as a photo fails on the platform, so the link must stay in the text instead."""

    async def liar(request: web.Request) -> web.Response:
        return web.Response(body=b"<!DOCTYPE html><html><body>Not found</body></html>",
                            content_type="image/png")

    async def honest(request: web.Request) -> web.Response:
        return web.Response(body=make_png(4, 4, (1, 2, 3)), content_type="image/png")

    app = web.Application()
    app.router.add_get("/lie.png", liar)
    app.router.add_get("/ok.png", honest)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        urls = [f"http://127.0.0.1:{port}/lie.png", f"http://127.0.0.1:{port}/ok.png"]
        fetched = await fetch_images(world.services, urls, limits())
    finally:
        await runner.cleanup()

    assert fetched.failed_urls == (urls[0],)
    assert [f.content_type for f in fetched.files] == ["image/png"]
