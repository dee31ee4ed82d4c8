"""The one aiosqlite connection behind the SQLite store, shared by its parts.

aiosqlite runs every call on one worker thread, but an ``await`` between two statements of a
transaction lets another coroutine slip its own statement in between. ``Database`` therefore
serialises access with an ``asyncio.Lock``: a transaction holds it from ``BEGIN`` to ``COMMIT``
and single statements take it too. The connection is in autocommit mode, so a single
statement (including ``UPDATE ... RETURNING``) is its own atomic transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from os import PathLike, fspath
from typing import Final

import aiosqlite

from bot.config import SqliteSynchronous
from bot.store.records import StoreError
from bot.store.sqlite.migrations import migrate

Params = Sequence[object]

_SYNCHRONOUS: Final[dict[SqliteSynchronous, str]] = {"normal": "NORMAL", "full": "FULL"}

# RETURNING arrived in 3.35; ON CONFLICT DO NOTHING and window functions earlier.
_MIN_SQLITE = (3, 35, 0)


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


async def _switch_to_wal(conn: aiosqlite.Connection, patience_s: float) -> None:
    """Set WAL mode, retrying: SQLite answers "database is locked" at once, without its busy
    handler, while another connection is converting the same file (two processes starting)."""
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + patience_s
    pause = 0.005
    while True:
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or loop.time() + pause > give_up_at:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.2)


class Database:
    """A locked aiosqlite connection; open with ``Database.connect``."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def connect(
        cls,
        path: str | PathLike[str],
        *,
        busy_timeout_ms: int,
        synchronous: SqliteSynchronous = "normal",
    ) -> Database:
        """Open, configure and migrate; the connection is closed again if anything fails.

        ``synchronous`` is SQLite's ``PRAGMA synchronous`` (per connection). Under WAL,
        ``normal`` syncs the log only at checkpoints: a commit no longer waits for the disk
        (about 5 ms each on a plain SSD), the file is never corrupted, and a crash or kill of
        the process loses nothing; only a power loss or an OS crash may drop the last commits.
        ``full`` syncs at every commit."""
        if sqlite3.sqlite_version_info < _MIN_SQLITE:
            raise StoreError(
                f"SQLite {sqlite3.sqlite_version} is too old; relaybot needs 3.35 or newer"
            )
        name = fspath(path)
        conn = await aiosqlite.connect(name, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await _switch_to_wal(conn, busy_timeout_ms / 1000)
            # Not a bound parameter (PRAGMA takes none): one of two fixed words.
            await conn.execute(f"PRAGMA synchronous = {_SYNCHRONOUS[synchronous]}")
            # Off while migrating: a rebuilt table is dropped and renamed, and a cascade
            # on that drop would delete the rows that refer to it.
            await conn.execute("PRAGMA foreign_keys = OFF")
            await migrate(conn, name)
            await conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            await conn.close()
            raise
        return cls(conn, name)

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction; ``IMMEDIATE`` takes the write lock up front so two
        processes never deadlock upgrading read locks."""
        async with self._lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
            except BaseException:
                # Also reached when cancelled while BEGIN was queued: the worker thread runs
                # calls in order, so this ROLLBACK still follows it and clears the transaction.
                with suppress(sqlite3.OperationalError):  # BEGIN itself failed: nothing open
                    await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    # Reads go through ``execute_fetchall``: one hand-off to aiosqlite's thread instead of
    # three (execute, fetch, close), each of which costs a thread switch under the GIL.
    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row; meant for statements that return at most one."""
        async with self._lock:
            return _first(await self._conn.execute_fetchall(sql, params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self._lock:
            return list(await self._conn.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement on its own; returns the number of rows it changed."""
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return cursor.rowcount


async def tx_fetch_one(
    conn: aiosqlite.Connection, sql: str, params: Params = ()
) -> sqlite3.Row | None:
    """``fetch_one`` for use inside ``Database.transaction`` (which already holds the lock)."""
    return _first(await conn.execute_fetchall(sql, params))


def _first(rows: Iterable[sqlite3.Row]) -> sqlite3.Row | None:
    return next(iter(rows), None)
