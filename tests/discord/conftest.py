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
from tests.fakes.clock import JumpingClock
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


async def start_app(config: AppConfig, clock: JumpingClock) -> App:
    """The real app with only Discord; its job tracker is driven by tests (:class:`Jobs`).

    With virtual time the tracker's own loop would spin through its naps, so its loop is
    not started and tests tick it explicitly instead."""
    app = App(
        config,
        clock=clock,
        sleep=clock.sleep,
        wall_clock=clock,
        platforms=("discord",),
        start_tracker=False,
    )
    await app.start()
    return app


@pytest.fixture
async def bot(config: AppConfig, dc: FakeDiscord, clock: JumpingClock) -> AsyncIterator[Running]:
    app = await start_app(config, clock)
    try:
        yield Running(app, dc, clock)
    finally:
        await app.stop()
