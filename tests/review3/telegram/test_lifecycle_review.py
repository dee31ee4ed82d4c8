"""Stopping the bot must not lose what users already sent."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import adapters.telegram
from bot.app import App
from bot.config import AppConfig
from bot.sim import SimRelay, media
from tests.fakes.clock import JumpingClock
from tests.fakes.telegram_api import FakeTelegram


async def test_an_album_being_collected_at_stop_is_still_handled(
    config: AppConfig, fake: FakeTelegram, sim: SimRelay, clock: JumpingClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A slow album (items arriving seconds apart) is still being collected when the
    # operator stops the bot.
    settings = adapters.telegram.TelegramSettings

    def slow_albums(**kwargs: Any) -> adapters.telegram.TelegramSettings:
        return dataclasses.replace(settings(**kwargs), album_wait_s=30.0)

    monkeypatch.setattr(adapters.telegram, "TelegramSettings", slow_albums)
    app = App(config, clock=clock, sleep=clock.sleep, platforms=("telegram",),
              start_tracker=False)
    await app.start()
    try:
        alice = fake.user(1001, "Alice")
        images = [media.make_png(16, 16, (i * 90, 20, 20)) for i in range(2)]
        fake.send_album(fake.private_chat(alice), alice, images, caption="/blend")
        # PTB fetched both items and its next getUpdates confirmed them to Telegram: they
        # will never be delivered again, whatever happens to the bot now.
        await fake.wait_until(lambda: fake.pending_updates == 0, what="updates confirmed")
    finally:
        await app.stop()
    assert len(sim.requests_to("/mj/submit/blend")) == 1, "the /blend album was not lost"
