"""The bot as a console user sees it: ``run_console`` (JSON lines) against a simulated
relay on loopback and a SQLite file in ``tmp_path``.

``await bot.run("/dalle a fox", "!press U1")`` feeds the lines to the real console
adapter and returns what it printed; ``bot.store()`` opens the same database to check
or prepare what was stored (settings, usage).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adapters.console.adapter import CONSOLE_CHAT, CONSOLE_USER
from bot.config import AppConfig, BotConfig, RelayConfig, Secret
from bot.config_storage import StorageConfig
from bot.console import run_console
from bot.core.models import PlatformLimits
from bot.sim import SimRelay
from bot.store import open_store
from bot.store.base import JsonValue, SettingScope, Store
from tests.relay_sim import SIM_KEY

PLATFORM = CONSOLE_CHAT.platform
USER_ID = CONSOLE_USER.id


@dataclass
class Output:
    """What the console printed for one run."""

    events: list[dict[str, Any]]

    def messages(self) -> list[dict[str, Any]]:
        """The final state of every message (last send/edit per id), in send order."""
        final: dict[str, dict[str, Any]] = {}
        for event in self.events:
            final[event["message_id"]] = event
        return list(final.values())

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages()]

    @property
    def last(self) -> dict[str, Any]:
        return self.messages()[-1]

    def attachments(self) -> list[dict[str, str]]:
        return [a for m in self.messages() for a in m["attachments"]]

    def buttons(self) -> list[str]:
        return [label for row in self.last["buttons"] for label in row]


@dataclass
class Bot:
    sim: SimRelay
    tmp_path: Path
    bot_options: dict[str, Any] = field(default_factory=dict)
    relay_options: dict[str, Any] = field(default_factory=dict)
    limits: PlatformLimits | None = None

    @property
    def db_path(self) -> Path:
        return self.tmp_path / "bot.sqlite3"

    @property
    def media_dir(self) -> Path:
        return self.tmp_path / "media"

    def config(self) -> AppConfig:
        return AppConfig(
            relay=RelayConfig(
                base_url=self.sim.base_url,
                api_key=Secret(SIM_KEY),
                **{"timeout_s": 10.0, **self.relay_options},
            ),
            storage=StorageConfig(path=self.db_path),
            bot=BotConfig(**{"edit_interval_s": 0.0, **self.bot_options}),
        )

    async def run(self, *lines: str) -> Output:
        stdout = io.StringIO()
        code = await run_console(
            self.config(),
            demo=False,
            jsonl=True,
            media_dir=self.media_dir,
            wait_s=20,
            stdin=io.StringIO("".join(f"{line}\n" for line in lines)),
            stdout=stdout,
            limits=self.limits,
        )
        assert code == 0
        return Output([json.loads(line) for line in stdout.getvalue().splitlines()])

    @asynccontextmanager
    async def store(self) -> AsyncIterator[Store]:
        store = await open_store(StorageConfig(path=self.db_path))
        try:
            yield store
        finally:
            await store.close()

    async def set_setting(self, key: str, value: JsonValue) -> None:
        async with self.store() as store:
            await store.set_setting(SettingScope.USER, PLATFORM, USER_ID, key, value)

    async def settings(self) -> dict[str, JsonValue]:
        async with self.store() as store:
            return await store.all_settings(SettingScope.USER, PLATFORM, USER_ID)

    async def usage(self) -> dict[str, tuple[int, int]]:
        async with self.store() as store:
            totals = await store.usage_summary(PLATFORM, USER_ID, since=0)
        return {kind: (t.count, t.units) for kind, t in totals.items()}


@pytest.fixture
def console(sim: SimRelay, tmp_path: Path) -> Bot:
    return Bot(sim, tmp_path)


async def file_bytes(path: str | Path) -> bytes:
    """The bytes of a saved attachment (read off the event loop)."""
    return await asyncio.to_thread(Path(path).read_bytes)


def body_of(sim: SimRelay, path: str, index: int = -1) -> dict[str, Any]:
    """The JSON body of a recorded request to ``path``."""
    body = sim.requests_to(path)[index].json
    assert isinstance(body, dict)
    return body
