"""A platform that replaces a status message instead of editing it (Telegram cannot turn a
text message into a photo): the job follows the new message from then on — progress
edits, the final edit and the result's reply — also after a restart."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import MessageRef, Reply
from bot.jobs.outlets import encode_message_ref
from bot.sim import SimRelay
from bot.store.base import Job
from tests.jobs.harness import (
    CHAT,
    Bot,
    Event,
    FakeClock,
    Recorder,
    RecordingResponder,
    open_bot,
    platform_limits,
)

_PICTURED = "+pic"


class ReplacingResponder(RecordingResponder):
    """Like Telegram: a message without a picture cannot get one by an edit, so such an
    edit posts a new message (its id says it has a picture, as Telegram's refs do) and
    the old one is gone."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder, platform_limits())
        self._recorder = recorder
        self.removed: list[str] = []

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef | None:
        if not reply.files or ref.message_id.endswith(_PICTURED):
            return await super().edit(ref, reply)
        self._recorder.count += 1
        message_id = f"m{self._recorder.count}{_PICTURED}"
        self._recorder.events.append(Event("send", message_id, reply, self._recorder.clock()))
        self.removed.append(ref.message_id)
        return MessageRef(ref.chat_id, message_id)


def replacing(harness: Bot) -> ReplacingResponder:
    responder = ReplacingResponder(harness.recorder)
    harness.outlet.responder = responder
    return responder


async def tick(harness: Bot) -> None:
    harness.clock.now += harness.services.config.relay.poll_interval_s
    await harness.tracker.run_once()


async def the_job(harness: Bot) -> Job:
    [job] = await harness.store.list_jobs_for_owner("test", "alice")
    return job


def stored(message_id: str) -> str:
    return encode_message_ref(MessageRef(CHAT.chat_id, message_id))


async def test_after_a_replacement_every_edit_goes_to_the_new_message(harness: Bot) -> None:
    responder = replacing(harness)
    await harness.command("/imagine a fox")
    [status] = harness.recorder.sent()

    await tick(harness)  # 33 % with the first preview: the platform replaces the message
    replacement = harness.recorder.sent()[-1]
    assert responder.removed == [status.message_id]
    assert replacement.message_id == "m2+pic" and "33%" in replacement.reply.text
    assert replacement.reply.files, "the new message shows the preview"
    assert (await the_job(harness)).status_message_ref == stored("m2+pic")

    await harness.settle()
    assert harness.recorder.edits_of(status.message_id) == [], "the old message is not edited"
    edits = harness.recorder.edits_of("m2+pic")
    assert "67%" in edits[0].reply.text and "Done" in edits[-1].reply.text
    assert all(e.at - replacement.at >= 3.0 for e in edits), "throttled like any edit"
    texts = [e.reply.text for e in edits]
    assert len(texts) == len(set(texts)), "never an unchanged edit"
    [result] = [e for e in harness.recorder.sent() if e.reply.buttons]
    assert result.reply.reply_to == MessageRef(CHAT.chat_id, "m2+pic")
    assert (await the_job(harness)).status_message_ref == stored("m2+pic")


async def test_a_restart_keeps_editing_the_replacement(sim: SimRelay, tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    clock = FakeClock()
    recorder = Recorder(clock)
    async with open_bot(sim, db, clock, recorder) as bot:
        responder = replacing(bot)
        await bot.command("/imagine a castle")
        [task_id] = sim.mj_task_ids()
        sim.set_mj_task_status(task_id, "IN_PROGRESS", progress="40%")
        await tick(bot)
        assert responder.removed == ["m1"]
        assert "40%" in recorder.sent()[-1].reply.text

    async with open_bot(sim, db, clock, recorder) as bot:
        responder = replacing(bot)
        sim.set_mj_task_status(task_id, "IN_PROGRESS", progress="70%")
        await tick(bot)
        [edit] = recorder.edits_of("m2+pic")
        assert "70%" in edit.reply.text and edit.reply.files, "the picture is updated in place"
        sim.set_mj_task_status(task_id, "SUCCESS")
        await bot.settle()
        assert responder.removed == [], "nothing was replaced a second time"
        assert "Done" in recorder.edits_of("m2+pic")[-1].reply.text
        [result] = [e for e in recorder.sent() if e.reply.buttons]
        assert result.reply.reply_to == MessageRef(CHAT.chat_id, "m2+pic")
