"""Fixtures for the whole bot: both fakes, the relay simulator and a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
import yarl

from bot.app import App
from bot.config import AppConfig
from bot.sim import SimRelay
from tests.e2e.harness import Operator, both_platforms, start_app
from tests.fakes.clock import JumpingClock
from tests.fakes.discord_api import FakeDiscord, running_fake_discord
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture(autouse=True)
def _platform_globals(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error here) on every RetryAfter unless opted in to timedelta
    # periods; the Discord adapter repoints discord.py's endpoints and restores them on
    # stop, and this restores them even when a test fails half-way.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        yarl.URL(str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)),
    )


@pytest.fixture
def clock() -> JumpingClock:
    return JumpingClock()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
        assert server.protocol_errors == []


@pytest.fixture
async def dc(clock: JumpingClock) -> AsyncIterator[FakeDiscord]:
    async with running_fake_discord(clock) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, tg: FakeTelegram, dc: FakeDiscord, sim: SimRelay) -> AppConfig:
    return both_platforms(tmp_path, tg, dc, sim.base_url)


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
