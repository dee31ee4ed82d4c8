"""Real services on loopback for core tests: simulated relay, SQLite file, one session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot.config import AppConfig, BotConfig, RelayConfig, Secret
from bot.config_storage import StorageConfig
from bot.core.context import Services
from bot.relay import RelayClient, RetryPolicy
from bot.sim import SimRelay
from bot.store import open_store
from tests.relay_sim import SIM_KEY


@dataclass
class World:
    sim: SimRelay
    services: Services


def make_config(base_url: str, db: Path, **bot: object) -> AppConfig:
    return AppConfig(
        relay=RelayConfig(base_url=base_url, api_key=Secret(SIM_KEY), timeout_s=5.0),
        storage=StorageConfig(path=db),
        bot=BotConfig(**{"edit_interval_s": 0.0, **bot}),  # type: ignore[arg-type]
    )


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
async def world(tmp_path: Path, sim: SimRelay) -> AsyncIterator[World]:
    store = await open_store(StorageConfig(path=tmp_path / "bot.sqlite3"))
    try:
        async with aiohttp.ClientSession() as http:
            config = make_config(sim.base_url, tmp_path / "bot.sqlite3")
            relay = RelayClient(
                http,
                base_url=sim.base_url,
                api_key=SIM_KEY,
                timeout_s=5.0,
                retry=RetryPolicy(attempts=1),
                sleep=_no_sleep,
            )
            yield World(sim, Services(config=config, store=store, relay=relay, http=http))
    finally:
        await store.close()
