"""Fixtures for the whole bot: both fakes, the relay simulator and a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.config import AppConfig
from tests.e2e.harness import Operator
from tests.fakes.clock import JumpingClock, start_app
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
async def bot(
    config: AppConfig, tg: FakeTelegram, dc: FakeDiscord, clock: JumpingClock
) -> AsyncIterator[Operator]:
    app: App = await start_app(config, clock)
    alice = tg.user(1001, "Alice", username="alice")
    operator = Operator(app, tg, dc, clock, alice, tg.private_chat(alice))
    try:
        yield operator
    finally:
        await operator.app.stop()  # a restart test swaps in a new App
