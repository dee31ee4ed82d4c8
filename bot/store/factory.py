"""``open_store``: the one place that turns ``[storage]`` into a backend."""

from __future__ import annotations

from bot.config_storage import StorageConfig
from bot.store.base import Store
from bot.store.postgres import open_postgres_store
from bot.store.rows import Clock, KeyFactory, new_button_keys
from bot.store.sqlite import open_sqlite_store


async def open_store(
    config: StorageConfig,
    *,
    clock: Clock | None = None,
    key_factory: KeyFactory = new_button_keys,
) -> Store:
    """PostgreSQL when ``config.url`` is set, else the SQLite file at ``config.path``;
    migrated to the current schema either way.

    ``clock`` replaces the store's "now" (tests); by default that is the database server's
    clock on PostgreSQL and ``time.time`` on SQLite. ``key_factory`` makes button keys."""
    if config.url is not None:
        return await open_postgres_store(
            config.url.reveal(), clock=clock, pool_size=config.pool_size, key_factory=key_factory
        )
    synchronous = config.sqlite_synchronous
    if clock is None:
        return await open_sqlite_store(
            config.path, synchronous=synchronous, key_factory=key_factory
        )
    return await open_sqlite_store(
        config.path, clock=clock, synchronous=synchronous, key_factory=key_factory
    )
