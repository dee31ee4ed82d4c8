"""The real relaybot app (core, SQLite file, relay simulator) with the real discord.py
client, connected to the fake Discord on loopback."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yarl

with warnings.catch_warnings():
    # discord.py imports audioop (deprecated in 3.11+) for voice; the suite turns
    # warnings into errors, so import it once here with that one warning silenced.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord

from adapters.discord import DiscordAdapter
from bot.app import App
from bot.config import AppConfig, DiscordConfig, RelayConfig, Secret, StorageConfig
from bot.jobs.tracker import JobTracker
from bot.sim import SimRelay
from tests.fakes.clock import Jobs, JumpingClock
from tests.fakes.discord_api import TOKEN, FakeDiscord, running_fake_discord
from tests.relay_sim import SIM_KEY


@pytest.fixture
def clock() -> JumpingClock:
    return JumpingClock()


@pytest.fixture(autouse=True)
def _restore_discord_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    # The adapter points discord.py at the fake and restores it on stop; this undoes it
    # even when a test fails half-way.
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        yarl.URL(str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)),
    )


@pytest.fixture
async def fake(clock: JumpingClock) -> AsyncIterator[FakeDiscord]:
    async with running_fake_discord(clock) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, fake: FakeDiscord, sim: SimRelay) -> AppConfig:
    return AppConfig(
        relay=RelayConfig(base_url=sim.base_url, api_key=Secret(SIM_KEY), timeout_s=10),
        storage=StorageConfig(path=tmp_path / "bot.sqlite3"),
        discord=DiscordConfig(
            token=Secret(TOKEN),
            api_base_url=fake.api_base,
            gateway_url=fake.gateway_url,
            guild_ids=(int(fake.guild_id),),
        ),
    )


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
async def bot(config: AppConfig, fake: FakeDiscord, clock: JumpingClock) -> AsyncIterator[Running]:
    app = await start_app(config, clock)
    try:
        yield Running(app, fake, clock)
    finally:
        await app.stop()


@pytest.fixture
def jobs(bot: Running) -> Jobs:
    return Jobs(bot.tracker, bot.clock)
