"""Idle memory of ``relaybot run``: a child process connected to both platform fakes.

The child is started exactly as an operator would (``python -m bot run --config ...``,
secrets in the environment) against the Telegram and Discord fakes and the relay
simulator served by this process, on real time. Once both platforms are connected it
is left idle; its ``VmRSS`` is read from ``/proc`` until it stops growing.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.sim import SimRelay
from tests.e2e.process import running_relaybot, write_config
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import running_fake_discord
from tests.fakes.telegram_api import FakeTelegram

_RELAY_KEY = "sk-bench-memory"
_STARTUP_S = 60.0
_SETTLE_S = 3.0  # idle this long with no growth above 1 % before reading


@dataclass(frozen=True, slots=True)
class MemoryResult:
    idle_rss_mb: float
    startup_s: float

    def as_json(self) -> dict[str, Any]:
        return {"idle_rss_mb": round(self.idle_rss_mb, 1), "startup_s": round(self.startup_s, 2)}


def rss_mb(pid: int) -> float:
    """``VmRSS`` of a process, in MiB (``/proc/PID/status`` reports kB)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def run_memory() -> MemoryResult:
    with tempfile.TemporaryDirectory(prefix="relaybot-bench-") as workdir:
        return await _run_memory(Path(workdir))


async def _run_memory(workdir: Path) -> MemoryResult:
    env = {
        "E2E_TELEGRAM_TOKEN": "5012345678:AAEbenchTelegramToken_relaybot-00x",
        "E2E_DISCORD_TOKEN": DISCORD_TOKEN,
        "E2E_RELAY_KEY": _RELAY_KEY,
        "PTB_TIMEDELTA": "true",
    }
    async with (
        SimRelay(_RELAY_KEY) as sim,
        FakeTelegram(env["E2E_TELEGRAM_TOKEN"]) as telegram,
        running_fake_discord(time.monotonic) as discord,
    ):
        config = write_config(workdir, relay_url=sim.base_url, tg=telegram, dc=discord,
                              level="WARNING")
        started = time.monotonic()
        async with running_relaybot(config, env, workdir) as bot:
            await bot.meanwhile(
                discord.wait_until(lambda: len(discord.identify) == 1, timeout_s=_STARTUP_S),
                "connecting to Discord",
            )
            await bot.meanwhile(
                telegram.wait_for("getUpdates", wait_s=_STARTUP_S, include_failed=True),
                "polling Telegram",
            )
            startup_s = time.monotonic() - started
            pid = bot.process.pid
            previous, current = 0.0, rss_mb(pid)
            while current > previous * 1.01:
                await asyncio.sleep(_SETTLE_S)
                previous, current = current, rss_mb(pid)
            bot.process.terminate()
            await bot.exited(within_s=30)
    return MemoryResult(idle_rss_mb=current, startup_s=startup_s)
