"""Progress previews on Telegram: a text status message cannot become a photo, so the first
preview replaces it with a photo message, which later progress edits change in place —
before and after a restart — and which the result answers."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.config import AppConfig
from bot.core.models import MessageRef
from bot.jobs.outlets import encode_message_ref
from bot.sim import SimRelay
from bot.store.base import Job
from tests.fakes.clock import Jobs, JumpingClock, start_app
from tests.fakes.telegram_api import BotMessage, FakeTelegram, TgChat
from tests.telegram.conftest import Running

pytestmark = pytest.mark.sim(steps=4)  # three progress steps, each with its own preview


async def stored_job(app: App) -> Job:
    [job] = await app.core.services.store.list_jobs_for_owner("telegram", "1001")
    return job


def photo_ref(chat: TgChat, photo: BotMessage) -> str:
    return encode_message_ref(MessageRef(str(chat.id), f"{photo.message_id}m"))


async def test_the_first_preview_turns_the_status_into_a_photo_edited_from_then_on(
    tgbot: Running, jobs: Jobs
) -> None:
    fake = tgbot.fake
    tgbot.fake.send_text(tgbot.dm, tgbot.alice, "/imagine a fox in the snow")
    queued = await tgbot.answer(containing="a fox in the snow")
    [command] = [u for u in fake.world.messages.values() if u.get("text", "").startswith("/")]
    await tgbot.adapter.settled()

    await jobs.tick()  # 25 %, the first preview
    [status] = fake.messages_in(tgbot.dm)
    assert queued.deleted and status is not queued
    [delete] = fake.sent("deleteMessage")
    assert delete.params["message_id"] == queued.message_id
    assert status.kind == "photo" and "25%" in status.text
    assert status.reply_to == command["message_id"], "answers the command, as the text did"
    assert status.file is not None and status.file.data.startswith(b"\x89PNG")
    assert (await stored_job(tgbot.app)).status_message_ref == photo_ref(tgbot.dm, status)
    assert status.file.filename.endswith("preview-1.png")

    await jobs.tick()  # 50 %, a new preview: the photo itself changes
    [media] = fake.sent("editMessageMedia")
    assert media.params["message_id"] == status.message_id
    assert "50%" in status.text and status.file.filename.endswith("preview-2.png")
    assert len(fake.sent("sendPhoto")) == 1, "no second replacement"

    for _ in range(4):
        await jobs.tick()
    status_now, result = fake.messages_in(tgbot.dm)
    assert status_now is status
    assert result.kind == "photo" and "U1" in result.labels
    assert result.reply_to == status.message_id, "the result answers the photo"
    assert "%" not in status.text and "Done" in status.text, "the final edit reached it"
    assert fake.sent("editMessageText") == [], "nothing edited the deleted text message"
    assert queued.history == [queued.text]
    assert (await stored_job(tgbot.app)).status_message_ref == photo_ref(tgbot.dm, status)


async def test_in_a_topic_the_photo_stays_in_the_topic(tgbot: Running, jobs: Jobs) -> None:
    fake = tgbot.fake
    group = fake.group(forum=True)
    topic = fake.topic(group, tgbot.alice, "art")
    asked = fake.send_text(group, tgbot.alice, "/imagine a harbour at dawn", thread=topic)
    queued = await tgbot.answer(group, containing="a harbour at dawn")
    await tgbot.adapter.settled()
    await jobs.tick()
    [status] = fake.messages_in(group, thread=topic)
    assert queued.deleted and status.kind == "photo"
    assert (status.thread_id, status.reply_to) == (topic, asked["message_id"])


async def test_a_restart_between_two_progress_edits_still_edits_the_photo(
    config: AppConfig, tg: FakeTelegram, sim: SimRelay, clock: JumpingClock
) -> None:
    alice = tg.user(1001, "Alice")
    dm = tg.private_chat(alice)

    async def running() -> App:
        return await start_app(config, clock)

    async def tick(app: App) -> None:
        assert app.tracker is not None
        clock.now += 10
        await app.tracker.run_once()

    app = await running()
    try:
        tg.send_text(dm, alice, "/imagine a castle in the fog")
        await tg.wait_until(lambda: len(tg.messages_in(dm)) == 1, what="the status message")
        await app.adapters["telegram"].settled()  # type: ignore[attr-defined]
        await tick(app)
        [status] = tg.messages_in(dm)
        assert status.kind == "photo" and "25%" in status.text
    finally:
        await app.stop()

    app = await running()
    try:
        await tick(app)
        assert tg.messages_in(dm) == [status], "no new status message after the restart"
        assert "50%" in status.text
        [media] = tg.sent("editMessageMedia")
        assert media.params["message_id"] == status.message_id
        for _ in range(4):
            await tick(app)
        status_now, result = tg.messages_in(dm)
        assert status_now is status and result.reply_to == status.message_id
        assert "Done" in status.text
        assert len(tg.sent("sendPhoto")) == 2  # the status photo and the result
        assert (await stored_job(app)).status_message_ref == photo_ref(dm, status)
    finally:
        await app.stop()
