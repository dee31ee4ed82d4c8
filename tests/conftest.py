"""Session-wide test setup and the fixtures every folder shares.

No test may reach beyond loopback (tests/netguard.py). The shared fixtures are the parts a
running bot talks to: the relay simulator (``sim``), the fake Telegram Bot API (``tg``),
the fake Discord (``dc``), virtual time (``clock``) and the operator's ``config`` that
points the bot at them; and ``postgres_url``, an empty PostgreSQL schema (tests/postgres.py).
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import aiohttp
import pytest
import yarl

with warnings.catch_warnings():
    # discord.py imports audioop (deprecated in 3.11+) for voice; the suite turns
    # warnings into errors, so import it once here with that one warning silenced.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord

from bot.app import App
from bot.config import AppConfig, DiscordConfig, MetricsConfig, RelayConfig, Secret, TelegramConfig
from bot.config_storage import StorageConfig
from bot.sim import SimRelay
from tests import netguard
from tests.fakes.clock import Jobs, JumpingClock
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import FakeDiscord, running_fake_discord
from tests.fakes.telegram_api import FakeTelegram
from tests.postgres import postgres_url as postgres_url
from tests.relay_sim import SIM_KEY, sim_options

_uninstall_guard = None


def pytest_configure(config: pytest.Config) -> None:
    global _uninstall_guard
    _uninstall_guard = netguard.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _uninstall_guard is not None:
        _uninstall_guard()


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[SimRelay]:
    """A started relay simulator on loopback (options: the ``sim`` marker)."""
    async with SimRelay(SIM_KEY, **sim_options(request.node)) as relay:
        yield relay


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client session (no key, no base URL)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def clock() -> JumpingClock:
    return JumpingClock()


@pytest.fixture
async def tg(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    """The fake Telegram Bot API; it fails the test on any protocol error of the bot."""
    # PTB 22 warns (an error here) whenever a RetryAfter is built unless opted in to
    # timedelta periods; the adapter opts in too.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegram() as server:
        yield server
        assert server.protocol_errors == []


@pytest.fixture
async def dc(clock: JumpingClock, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The fake Discord (gateway and REST); it fails the test on routes it does not know."""
    # The adapter points discord.py at the fake and restores it on stop; this undoes it
    # even when a test fails half-way.
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        yarl.URL(str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)),
    )
    async with running_fake_discord(clock) as server:
        yield server


@pytest.fixture
def config(request: pytest.FixtureRequest, tmp_path: Path, sim: SimRelay) -> AppConfig:
    """What an operator would configure: the relay simulator, a SQLite file, and a section
    for each fake platform the test runs on (the ones among ``tg`` and ``dc`` it uses), and
    metrics on a free loopback port for tests marked ``metrics``."""
    used = request.fixturenames
    telegram = discord_ = None
    if "tg" in used:
        tg: FakeTelegram = request.getfixturevalue("tg")
        telegram = TelegramConfig(
            token=Secret(tg.token), base_url=tg.base_url, base_file_url=tg.base_file_url
        )
    if "dc" in used:
        dc: FakeDiscord = request.getfixturevalue("dc")
        discord_ = DiscordConfig(
            token=Secret(DISCORD_TOKEN),
            api_base_url=dc.api_base,
            gateway_url=dc.gateway_url,
            guild_ids=(int(dc.guild_id),),
        )
    return AppConfig(
        relay=RelayConfig(base_url=sim.base_url, api_key=Secret(SIM_KEY), timeout_s=10),
        storage=StorageConfig(path=tmp_path / "bot.sqlite3"),
        telegram=telegram,
        discord=discord_,
        metrics=MetricsConfig(listen=("127.0.0.1", 0))
        if request.node.get_closest_marker("metrics")
        else MetricsConfig(),
    )


class RunningApp(Protocol):
    @property
    def app(self) -> App: ...

    @property
    def clock(self) -> JumpingClock: ...


# The running bot of each platform's test folder, whose tracker ``jobs`` ticks.
_RUNNING_APP_FIXTURE = {"telegram": "tgbot", "discord": "dcbot"}


@pytest.fixture
def jobs(request: pytest.FixtureRequest) -> Jobs:
    """The running app's job tracker, ticked by the test on virtual time (its loop is not
    started: with virtual time it would spin through its naps)."""
    name = _RUNNING_APP_FIXTURE.get(request.path.parent.name)
    assert name is not None, f"jobs: no running bot fixture for {request.path.parent.name}"
    running: RunningApp = request.getfixturevalue(name)
    assert running.app.tracker is not None
    return Jobs(running.app.tracker, running.clock)
