"""The whole bot on loopback for the scale benchmarks: App + Telegram fake + relay simulator.

Everything runs in the benchmark's one event loop, so the process's CPU time and RSS
cover the bot, the simulator and the fake together (reported as such). The App is the
real composition root with its job tracker loop running; only the clocks are the
virtual loop's (see :mod:`bench.vloop`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from bench import cpu_share
from bench.vloop import wall_clock
from bot.app import App, freeze_startup_objects
from bot.config import AppConfig, BotConfig, LoggingConfig, RelayConfig, Secret, TelegramConfig
from bot.config_storage import StorageConfig
from bot.sim import SimRelay
from tests.fakes.telegram_api import FakeTelegram

SIM_KEY = "sk-bench-relay"
SIMULATOR = "simulator"  # bench.cpu_share's names for the relay simulator's CPU
TELEGRAM = "telegram fake"  # and the fake Bot API's (with the users it plays)


def loop_clock() -> float:
    return asyncio.get_running_loop().time()


@dataclass
class World:
    app: App
    sim: SimRelay
    telegram: FakeTelegram
    workdir: Path


@asynccontextmanager
async def running_world(
    *,
    poll_interval_s: float = 3.0,
    sim_steps: int = 3,
    chunk_delay_s: float = 0.0,
    edit_interval_s: float | None = None,
    relay_timeout_s: float = 60.0,
) -> AsyncIterator[World]:
    # PTB warns on every RetryAfter unless opted in to timedelta periods (the adapter does).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    workdir = Path(tempfile.mkdtemp(prefix="relaybot-bench-"))
    cpu_share.install()
    sim = SimRelay(SIM_KEY, steps=sim_steps, clock=loop_clock, chunk_delay_s=chunk_delay_s)
    telegram = FakeTelegram(edit_interval_s=edit_interval_s)
    # Every callback of their servers counts as theirs, not the bot's (bench.cpu_share).
    with cpu_share.attributed(SIMULATOR):
        await sim.start()
    with cpu_share.attributed(TELEGRAM):
        await telegram.start()
    try:
        config = AppConfig(
            relay=RelayConfig(
                base_url=sim.base_url,
                api_key=Secret(SIM_KEY),
                timeout_s=relay_timeout_s,
                poll_interval_s=poll_interval_s,
            ),
            storage=StorageConfig(path=workdir / "bench.sqlite3"),
            telegram=TelegramConfig(
                token=Secret(telegram.token),
                base_url=telegram.base_url,
                base_file_url=telegram.base_file_url,
                poll_timeout_s=10.0,
            ),
            bot=replace(BotConfig(), edit_interval_s=edit_interval_s or 1.0),
            logging=LoggingConfig(level="WARNING"),
        )
        app = App(
            config,
            clock=loop_clock,
            sleep=asyncio.sleep,
            wall_clock=wall_clock,
            platforms=("telegram",),
        )
        await app.start()
        freeze_startup_objects()  # as ``relaybot run`` does once started
        try:
            yield World(app, sim, telegram, workdir)
        finally:
            await app.stop()
    finally:
        await telegram.stop()
        await sim.stop()
        shutil.rmtree(workdir, ignore_errors=True)
