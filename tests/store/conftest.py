"""Fixtures for the store contract suite.

Every contract test takes ``open_store``, which is parametrized over the store backends;
a new backend (PostgreSQL) adds one ``params`` entry and one branch in ``_open_backend``.
All stores a test opens share the test's virtual ``clock``, moved only by ``advance``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.store.base import Store
from bot.store.sqlite import SqliteStore
from bot.store.sqlite_db import KeyFactory, new_button_key
from tests.fakes.clock import JumpingClock

OpenStore = Callable[..., Awaitable[Store]]


@pytest.fixture
def advance(clock: JumpingClock) -> Callable[[float], None]:
    """Move the shared store clock forward by some seconds."""

    def move(seconds: float) -> None:
        clock.now += seconds

    return move


async def _open_backend(
    backend: str, tmp_path: Path, clock: JumpingClock, key_factory: KeyFactory
) -> Store:
    if backend == "sqlite":
        return await SqliteStore.open(
            tmp_path / "relaybot.db", clock=clock, key_factory=key_factory
        )
    raise AssertionError(f"unknown store backend {backend}")


@pytest.fixture(params=["sqlite"])
async def open_store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: JumpingClock
) -> AsyncIterator[OpenStore]:
    """Open another store on the same database (a second connection, as a second bot
    process would); everything opened is closed at teardown."""
    opened: list[Store] = []

    async def open_one(*, key_factory: KeyFactory = new_button_key) -> Store:
        store = await _open_backend(request.param, tmp_path, clock, key_factory)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: OpenStore) -> Store:
    return await open_store()
