"""The one aiosqlite connection behind the SQLite store, shared by its parts.

Every call into aiosqlite is a hand-off to its connection thread and back: a queue put, a
wake-up of the loop through its self-pipe, a GIL switch each way. So the parts do not send
statements one by one: each store operation is a plain function over the ``sqlite3``
connection (:data:`Work`), sent to that thread in one hand-off with :meth:`Database.run`
(autocommit: each statement is its own transaction) or :meth:`Database.write` (the whole
function inside ``BEGIN IMMEDIATE`` … ``COMMIT``). SQLite still runs only on that thread,
never on the event loop's.

An ``asyncio.Lock`` orders the calls: :meth:`Database.transaction` holds it across several
hand-offs, for the one operation that must go back to the event loop between its
statements (a credit reservation asks the caller whether the totals admit it).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from functools import partial
from os import PathLike, fspath
from typing import Final, TypeVar, cast

import aiosqlite

from bot.config import SqliteSynchronous
from bot.store.records import StoreError
from bot.store.sqlite.migrations import migrate

Params = Sequence[object]
T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]

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

    async def run(self, work: Work[T]) -> T:
        """``work(connection)`` on the connection thread, in one hand-off, in autocommit
        mode (each statement commits on its own)."""
        async with self._lock:
            return await self._hand_off(work)

    async def write(self, work: Work[T]) -> T:
        """``work(connection)`` inside one ``BEGIN IMMEDIATE`` … ``COMMIT``, in one
        hand-off; rolled back if it raises. ``IMMEDIATE`` takes the write lock up front so
        two processes never deadlock upgrading read locks."""
        async with self._lock:
            return await self._hand_off(partial(_in_transaction, work))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write transaction spanning several hand-offs (each ``Transaction.run``), for
        work that must return to the event loop between its statements; no other call
        runs in between. Commits on leaving the block, rolls back if it raises (also when
        cancelled: the thread runs calls in order, so the rollback follows what was sent)."""
        async with self._lock:
            tx = Transaction(self._hand_off)
            try:
                yield tx
            except BaseException:
                if tx.open:
                    await self._hand_off(_rollback)
                raise
            if tx.open:
                await self._hand_off(_commit)

    async def _hand_off(self, work: Work[T]) -> T:
        # aiosqlite's own way of running a function on its thread (its cursors use it);
        # it has no public one. One call: one queue put, one wake-up of the loop.
        result = await self._conn._execute(work, self._conn._conn)  # type: ignore[no-untyped-call]
        return cast(T, result)

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row; meant for statements that return at most one."""
        return await self.run(partial(fetch_one, sql=sql, params=params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return await self.run(partial(fetch_all, sql=sql, params=params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement on its own; returns the number of rows it changed."""
        return await self.run(partial(execute, sql=sql, params=params))


class Transaction:
    """The open transaction of :meth:`Database.transaction`; ``BEGIN IMMEDIATE`` goes with
    the first ``run``, ``COMMIT`` with ``finish`` (or on leaving the block)."""

    def __init__(self, hand_off: Callable[[Work[object]], Awaitable[object]]) -> None:
        self._hand_off = hand_off
        self._begun = False
        self.open = False

    async def run(self, work: Work[T]) -> T:
        if not self._begun:
            work = partial(_begun, work)
            self._begun = self.open = True
        return cast(T, await self._hand_off(work))

    async def finish(self, work: Work[T]) -> T:
        """The last ``work`` and the ``COMMIT``, in one hand-off."""
        if not self._begun:
            raise RuntimeError("finish() needs a transaction begun by run()")
        result = cast(T, await self._hand_off(partial(_committed, work)))
        self.open = False
        return result


# -- plain functions that run on the connection thread --------------------------------------

def fetch_one(conn: sqlite3.Connection, sql: str, params: Params = ()) -> sqlite3.Row | None:
    return _first(conn.execute(sql, params).fetchall())


def fetch_all(conn: sqlite3.Connection, sql: str, params: Params = ()) -> list[sqlite3.Row]:
    return conn.execute(sql, params).fetchall()


def execute(conn: sqlite3.Connection, sql: str, params: Params = ()) -> int:
    """One statement; the number of rows it changed."""
    return conn.execute(sql, params).rowcount


def _in_transaction(work: Work[T], conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise
    return result


def _begun(work: Work[T], conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN IMMEDIATE")
    return work(conn)


def _committed(work: Work[T], conn: sqlite3.Connection) -> T:
    result = work(conn)
    conn.execute("COMMIT")
    return result


def _commit(conn: sqlite3.Connection) -> None:
    conn.execute("COMMIT")


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with suppress(sqlite3.OperationalError):  # SQLite rolled it back itself already
            conn.execute("ROLLBACK")


def _first(rows: Iterable[sqlite3.Row]) -> sqlite3.Row | None:
    return next(iter(rows), None)
