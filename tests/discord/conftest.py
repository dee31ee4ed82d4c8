"""The real relaybot app (core, SQLite file, relay simulator) with the real discord.py
client, connected to the fake Discord on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from adapters.discord import DiscordAdapter
from bot.app import App
from bot.config import AppConfig
from bot.jobs.tracker import JobTracker
from tests.fakes.clock import JumpingClock, start_app
from tests.fakes.discord_api import FakeDiscord


@dataclass
class Running:
    app: App
    fake: FakeDiscord
    clock: JumpingClock

    @property
    def adapter(self) -> DiscordAdapter:
        adapter = self.app.adapters["discord"]
        assert isinstance(adapter, DiscordAdapter)
        return adapter

    @property
    def tracker(self) -> JobTracker:
        assert self.app.tracker is not None
        return self.app.tracker


@pytest.fixture
async def dcbot(config: AppConfig, dc: FakeDiscord, clock: JumpingClock) -> AsyncIterator[Running]:
    app = await start_app(config, clock)
    try:
        yield Running(app, dc, clock)
    finally:
        await app.stop()
