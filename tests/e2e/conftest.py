"""Fixtures for the whole bot: both fakes, the relay simulator and a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.config import AppConfig
from bot.sim import SimRelay
from tests.e2e.harness import Operator
from tests.e2e.process import RELAY_KEY, TELEGRAM_TOKEN
from tests.fakes.clock import JumpingClock, start_app
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
async def operator(
    config: AppConfig, tg: FakeTelegram, dc: FakeDiscord, clock: JumpingClock
) -> AsyncIterator[Operator]:
    app: App = await start_app(config, clock)
    alice = tg.user(1001, "Alice", username="alice")
    operator = Operator(app, tg, dc, clock, alice, tg.private_chat(alice))
    try:
        yield operator
    finally:
        await operator.app.stop()  # a restart test swaps in a new App


@pytest.fixture
async def run_sim() -> AsyncIterator[SimRelay]:
    """The relay for a ``relaybot run`` child process (real time, its own key)."""
    async with SimRelay(api_key=RELAY_KEY, steps=2) as relay:
        yield relay


@pytest.fixture
async def tg_run() -> AsyncIterator[FakeTelegram]:
    """Telegram for a ``relaybot run`` child process (the token its config names)."""
    async with FakeTelegram(TELEGRAM_TOKEN) as server:
        yield server
