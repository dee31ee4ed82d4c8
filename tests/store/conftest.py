"""Fixtures for the store contract suite.

Every contract test takes ``store`` or ``open_store``, parametrized over the backends: each
test runs once on a SQLite file and once on PostgreSQL (a schema of its own; skipped locally
without RELAYBOT_TEST_POSTGRES_URL, see tests/postgres.py). All stores a test opens share the
test's virtual ``clock``, moved only by ``advance``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.config import Secret
from bot.config_storage import StorageConfig
from bot.store import open_store as open_configured_store
from bot.store.base import Store
from bot.store.rows import KeyFactory, new_button_keys
from bot.store.sqlite.db import Database
from tests.fakes.clock import JumpingClock

BACKENDS = ("sqlite", "postgres")

OpenStore = Callable[..., Awaitable[Store]]


@pytest.fixture
def advance(clock: JumpingClock) -> Callable[[float], None]:
    """Move the shared store clock forward by some seconds."""

    def move(seconds: float) -> None:
        clock.now += seconds

    return move


@pytest.fixture(params=BACKENDS)
def storage_config(request: pytest.FixtureRequest, tmp_path: Path) -> StorageConfig:
    """``[storage]`` for one empty database of the parametrized backend."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return StorageConfig(url=Secret(url), pool_size=4)
    return StorageConfig(path=tmp_path / "relaybot.db")


@pytest.fixture
async def open_store(
    storage_config: StorageConfig, clock: JumpingClock
) -> AsyncIterator[OpenStore]:
    """Open another store on the same database (a second connection, as a second bot
    process would); everything opened is closed at teardown."""
    opened: list[Store] = []

    async def open_one(*, key_factory: KeyFactory = new_button_keys) -> Store:
        store = await open_configured_store(storage_config, clock=clock, key_factory=key_factory)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: OpenStore) -> Store:
    return await open_store()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """The SQLite backend's shared connection alone, on a fresh file."""
    database = await Database.connect(tmp_path / "db.sqlite3", busy_timeout_ms=1000)
    yield database
    await database.close()
