"""Stopping the bot while a Midjourney job runs and starting it again on the same
SQLite file: the result still arrives, once, under the original progress message."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import adapters.telegram
from adapters.telegram import TelegramAdapter
from bot.app import App
from bot.config import AppConfig
from bot.jobs.tracker import JobTracker
from bot.sim import SimRelay, media
from tests.fakes.clock import JumpingClock, start_app
from tests.fakes.telegram_api import FakeTelegram


async def start(config: AppConfig, clock: JumpingClock, worker: str) -> tuple[App, JobTracker]:
    # Only the test's tracker runs: two trackers would both update the status message.
    app = await start_app(config, clock)
    tracker = JobTracker(app.core.services, app.adapters, clock=clock, sleep=clock.sleep,
                         worker_id=worker)
    return app, tracker


async def test_a_job_survives_a_restart(
    config: AppConfig, tg: FakeTelegram, sim: SimRelay, clock: JumpingClock
) -> None:
    alice = tg.user(1001, "Alice")
    dm = tg.private_chat(alice)
    app, tracker = await start(config, clock, "before")
    try:
        tg.send_text(dm, alice, "/imagine a castle in the fog")
        await tg.wait_until(lambda: len(tg.messages_in(dm)) == 1, what="the status message")
        adapter = app.adapters["telegram"]
        assert isinstance(adapter, TelegramAdapter)
        await adapter.settled()
        [task_id] = sim.mj_task_ids()
        sim.set_mj_task_status(task_id, "IN_PROGRESS", progress="40%")  # stays there
        clock.now += 10
        await tracker.run_once()
        [status] = tg.messages_in(dm)  # a photo now: the progress came with a preview
        assert "40%" in status.text, "progress was shown before the restart"
        status_id = status.message_id
    finally:
        await tracker.stop()
        await app.stop()

    sim.set_mj_task_status(task_id, "SUCCESS")  # finished while the bot was down
    app, tracker = await start(config, clock, "after")
    try:
        for _ in range(3):
            clock.now += 10
            await tracker.run_once()
        status, result = tg.messages_in(dm)
        assert result.kind == "photo" and "U1" in result.labels
        assert status.message_id == status_id and result.reply_to == status_id
        assert "%" not in status.text, "the status message was finished after the restart"
        assert len(tg.sent("sendPhoto")) == 2, "the status photo, then the result once"
        assert len(sim.requests_to("/mj/submit/imagine")) == 1, "no update was replayed"
    finally:
        await tracker.stop()
        await app.stop()


async def test_an_album_being_collected_at_stop_is_still_handled(
    config: AppConfig, tg: FakeTelegram, sim: SimRelay, clock: JumpingClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A slow album (items arriving seconds apart) is still being collected when the
    # operator stops the bot.
    settings = adapters.telegram.adapter.TelegramSettings

    def slow_albums(**kwargs: Any) -> adapters.telegram.adapter.TelegramSettings:
        return dataclasses.replace(settings(**kwargs), album_wait_s=30.0)

    # Where ``build`` looks the settings up (the package's re-export is another name).
    monkeypatch.setattr(adapters.telegram.adapter, "TelegramSettings", slow_albums)
    app = App(config, clock=clock, sleep=clock.sleep, platforms=("telegram",),
              start_tracker=False)
    await app.start()
    try:
        alice = tg.user(1001, "Alice")
        images = [media.make_png(16, 16, (i * 90, 20, 20)) for i in range(2)]
        tg.send_album(tg.private_chat(alice), alice, images, caption="/blend")
        # PTB fetched both items and its next getUpdates confirmed them to Telegram: they
        # will never be delivered again, whatever happens to the bot now.
        await tg.wait_until(lambda: tg.pending_updates == 0, what="updates confirmed")
        assert not sim.requests_to("/mj/submit/blend"), "the album is still being collected"
    finally:
        await app.stop()
    assert len(sim.requests_to("/mj/submit/blend")) == 1, "the /blend album was not lost"
