"""``relaybot run`` as a real child process, configured the way an operator would.

The child talks to fakes served by the test's own event loop, so it is started with
``asyncio.create_subprocess_exec`` (a blocking ``subprocess.run`` would freeze them).
Its stderr goes to a file: a pipe nobody reads while it runs could fill up and stall it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")

TELEGRAM_TOKEN = "5012345678:AAE2eTelegramSecretToken_relaybot-42x"
RELAY_KEY = "sk-e2e-run-relay-secret-0042"
STARTUP_S = 20.0  # a cold interpreter importing discord.py and PTB, on a busy machine
ENV = {
    "E2E_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
    "E2E_DISCORD_TOKEN": DISCORD_TOKEN,
    "E2E_RELAY_KEY": RELAY_KEY,
}


def write_config(
    tmp_path: Path,
    *,
    relay_url: str,
    tg: FakeTelegram,
    dc: FakeDiscord | None,
    level: str = "DEBUG",
    database_url: str | None = None,
    extra: str = "",
    poll_interval_s: float = 0.1,
) -> Path:
    """A config.toml with every secret named by an environment variable (``*_env``).

    ``database_url``: a PostgreSQL store instead of a SQLite file in ``tmp_path``;
    ``extra``: more TOML appended (sections the defaults leave out, e.g. ``[jobs]``)."""
    storage = (f'url = "{database_url}"' if database_url is not None
               else f'path = "{tmp_path / "relaybot.sqlite3"}"')
    discord = "" if dc is None else f"""
[discord]
token_env = "E2E_DISCORD_TOKEN"
api_base_url = "{dc.api_base}"
gateway_url = "{dc.gateway_url}"
guild_ids = [{dc.guild_id}]
"""
    text = f"""
[relay]
base_url = "{relay_url}"
api_key_env = "E2E_RELAY_KEY"
timeout_s = 10
poll_interval_s = {poll_interval_s}

[telegram]
token_env = "E2E_TELEGRAM_TOKEN"
base_url = "{tg.base_url}"
base_file_url = "{tg.base_file_url}"
poll_timeout_s = 1
{discord}
[storage]
{storage}

[bot]
progress_interval_s = 0.5

[logging]
level = "{level}"
{extra}"""
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Relaybot:
    """A running ``relaybot`` child process."""

    process: asyncio.subprocess.Process
    stderr_path: Path

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    async def exited(self, within_s: float) -> int:
        """Wait (bounded) for the exit code."""
        try:
            return await asyncio.wait_for(self.process.wait(), within_s)
        except TimeoutError:
            raise AssertionError(
                f"relaybot did not exit within {within_s} s; stderr:\n{self.stderr}"
            ) from None

    async def meanwhile(self, step: Awaitable[T], what: str) -> T:
        """Await ``step`` while the bot runs; fail at once (with its stderr) if it dies."""
        work = asyncio.ensure_future(step)
        death = asyncio.ensure_future(self.process.wait())
        try:
            await asyncio.wait({work, death}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            death.cancel()
        if not work.done():
            work.cancel()
            await asyncio.wait({work})
            code = self.process.returncode
            raise AssertionError(f"relaybot exited ({code}) before {what}; stderr:\n{self.stderr}")
        return work.result()

    async def kill(self) -> None:
        """Last resort after a failed test: never leave the child behind."""
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@asynccontextmanager
async def running_relaybot(
    config: Path, env: Mapping[str, str], tmp_path: Path, args: Sequence[str] = ()
) -> AsyncIterator[Relaybot]:
    """``relaybot run --config CONFIG [ARGS]``; killed on the way out if still running."""
    stderr_path = tmp_path / "relaybot.stderr"
    child_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    child_env.pop("RELAYBOT_CONFIG", None)
    with stderr_path.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config), *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
            cwd=tmp_path,
            env=child_env,
        )
    bot = Relaybot(process, stderr_path)
    try:
        yield bot
    finally:
        await bot.kill()
