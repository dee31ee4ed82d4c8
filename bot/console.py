"""``relaybot console`` / ``relaybot demo``: compose the core with the console adapter."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO

from adapters.base import Host, Terminal
from adapters.console import build
from bot.config import AppConfig, RelayConfig, Secret
from bot.config_storage import StorageConfig
from bot.core.credits import Credits, HoldSweep
from bot.core.models import PlatformLimits
from bot.core.texts import t
from bot.jobs.tracker import JobTracker
from bot.runtime import open_core
from bot.sim import SimRelay

DEMO_API_KEY = "sk-relaybot-demo"


async def run_console(
    config: AppConfig | None,
    *,
    demo: bool,
    jsonl: bool,
    media_dir: Path,
    wait_s: float,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO | None = None,
    welcome: bool = False,
    limits: PlatformLimits | None = None,
) -> int:
    """Talk to the bot on ``stdin``/``stdout`` until end of input; returns the exit code.

    With ``demo`` a simulated relay runs in-process on a free loopback port and a
    throw-away database is used, so no configuration is needed. ``welcome`` prints what
    to try (``relaybot demo``) — on ``stderr`` in ``--jsonl`` mode, keeping stdout JSON.
    """
    if config is None and not demo:
        raise ValueError("run_console needs a config unless demo=True")
    async with (
        _relay_config(config, demo) as effective,
        open_core(effective, role="console") as core,
    ):
        terminal = Terminal(stdin, stdout, media_dir, jsonl=jsonl, limits=limits)
        console = build(effective, core.dispatcher, Host(terminal=terminal))
        if welcome:
            target = stderr if jsonl and stderr is not None else stdout
            if not jsonl or stderr is not None:
                target.write(t("console.welcome", effective.bot.locale) + "\n")
                target.flush()
        # Long jobs (Midjourney, Suno, Luma) report back through the tracker.
        services = core.services
        credits = Credits(effective.credits, services.store, services.wall_clock,
                          services.metrics, holder=services.instance)
        tracker = JobTracker(services, {console.name: console}, outcome_hooks=(credits,),
                             poller_chores=(HoldSweep(credits, services.wall_clock),))
        await console.start()
        await tracker.take_over()
        await tracker.start()
        try:
            return await console.run(wait_s, idle=tracker.wait_idle)
        finally:
            await tracker.stop()
            await console.stop()


@asynccontextmanager
async def _relay_config(config: AppConfig | None, demo: bool) -> AsyncIterator[AppConfig]:
    if not demo:
        assert config is not None
        yield config
        return
    workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="relaybot-demo-"))
    try:
        async with SimRelay(api_key=DEMO_API_KEY) as sim:
            relay = RelayConfig(base_url=sim.base_url, api_key=Secret(DEMO_API_KEY))
            storage = StorageConfig(path=workdir / "demo.sqlite3")
            if config is None:
                yield AppConfig(relay=relay, storage=storage)
            else:
                yield AppConfig(
                    relay=relay,
                    storage=storage,
                    models=config.models,
                    bot=config.bot,
                    logging=config.logging,
                )
    finally:
        await asyncio.to_thread(shutil.rmtree, workdir, True)
