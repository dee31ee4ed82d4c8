"""The one aiosqlite connection behind the SQLite store, shared by its parts.

Every call into aiosqlite is a hand-off to its connection thread and back: a queue put, a
wake-up of the thread, a wake-up of the loop through its self-pipe, the GIL taken each way.
So the parts do not send statements one by one: each store operation is a plain function
over the ``sqlite3`` connection (:data:`Work`), run on that thread with :meth:`Database.run`
(autocommit: each statement is its own transaction) or :meth:`Database.write` (the whole
function inside ``BEGIN IMMEDIATE`` … ``COMMIT``). SQLite still runs only on that thread,
never on the event loop's.

And callers share hand-offs: every call waits in one queue, in the order it was made. A
call made while the thread is free goes there at once; the calls made while a batch is on
the thread go there together, in one hand-off, as soon as it comes back, and come back with
one wake-up of the loop; each caller still gets its own result or its own exception
(:mod:`bot.store.sqlite.batch`). :meth:`Database.transaction` takes a turn in the same
queue and keeps the connection to itself across several hand-offs, for work that would
have to go back to the event loop between its statements (no part needs it today: a credit
reservation asks the caller's ``admit`` on the thread, in one ``write``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from os import PathLike, fspath
from typing import Final, TypeVar, cast

import aiosqlite

from bot.config_storage import SqliteSynchronous
from bot.store.records import StoreError
from bot.store.sqlite.batch import Outcome, Work, run_batch
from bot.store.sqlite.batch import rollback as _rollback
from bot.store.sqlite.checkpoints import BACKSTOP_PAGES, EVERY_S, Checkpointer
from bot.store.sqlite.migrations import migrate

Params = Sequence[object]
T = TypeVar("T")

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
    """An aiosqlite connection whose callers share hand-offs; open with ``Database.connect``."""

    def __init__(
        self, conn: aiosqlite.Connection, path: str, checkpointer: Checkpointer | None = None
    ) -> None:
        self._conn = conn
        self._queue: deque[_Call | _Slot] = deque()
        self._busy = False  # a batch on the thread, or a slot granted
        self.checkpointer = checkpointer
        self.path = path

    @classmethod
    async def connect(
        cls,
        path: str | PathLike[str],
        *,
        busy_timeout_ms: int,
        synchronous: SqliteSynchronous = "normal",
        checkpoint_every_s: float | None = EVERY_S,
    ) -> Database:
        """Open, configure and migrate; the connection is closed again if anything fails.

        ``checkpoint_every_s``: WAL checkpoints run on a second connection, at most this
        often (:mod:`bot.store.sqlite.checkpoints`); None leaves them to SQLite's automatic
        checkpoint on the store's connection.

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
            if checkpoint_every_s is None:
                return cls(conn, name)
            await conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
            checkpointer = await Checkpointer.open(
                name, synchronous=_SYNCHRONOUS[synchronous], every_s=checkpoint_every_s
            )
        except BaseException:
            await conn.close()
            raise
        try:
            return cls(conn, name, checkpointer)
        except BaseException:
            await checkpointer.close()
            await conn.close()
            raise

    async def close(self) -> None:
        """Close after every call queued before this one has run (the checkpointer's
        connection first: its thread would keep the process from exiting)."""
        async with self._exclusive():
            try:
                if self.checkpointer is not None:
                    await self.checkpointer.close()
            finally:
                await self._conn.close()

    async def run(self, work: Work[T]) -> T:
        """``work(connection)`` on the connection thread, in autocommit mode (each
        statement commits on its own)."""
        return await self._queued(work, atomic=False)

    async def write(self, work: Work[T]) -> T:
        """``work(connection)`` inside one ``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back if
        it raises, and returned only once committed. ``IMMEDIATE`` takes the write lock up
        front so two processes never deadlock upgrading read locks."""
        return await self._queued(work, atomic=True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write transaction spanning several hand-offs (each ``Transaction.run``), for
        work that must return to the event loop between its statements; no other call
        runs in between. Commits on leaving the block, rolls back if it raises (also when
        cancelled: the thread runs calls in order, so the rollback follows what was sent)."""
        async with self._exclusive():
            tx = Transaction(self._hand_off)
            try:
                yield tx
            except BaseException:
                if tx.open:
                    await self._hand_off(_rollback)
                raise
            if tx.open:
                await self._hand_off(_commit)

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row; meant for statements that return at most one."""
        return await self.run(partial(fetch_one, sql=sql, params=params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return await self.run(partial(fetch_all, sql=sql, params=params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement on its own; returns the number of rows it changed."""
        return await self.run(partial(execute, sql=sql, params=params))

    # -- the queue: every call waits its turn, and whatever waits goes to the thread together.
    # Plain callbacks, not a worker task: a task's steps would cost more than the hand-off
    # they save when a call is alone (the common case).

    async def _queued(self, work: Work[T], *, atomic: bool) -> T:
        call = _Call(cast("Work[object]", work), atomic, asyncio.get_running_loop().create_future())
        self._enqueue(call)
        # Cancelled while queued: the future is cancelled, and ``_next`` skips the call.
        return cast(T, await call.future)

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        """The connection to this caller alone, once every call queued before it has run."""
        loop = asyncio.get_running_loop()
        slot = _Slot(loop.create_future(), loop.create_future())
        self._enqueue(slot)
        try:
            await slot.granted
        except asyncio.CancelledError:
            if slot.granted.done() and not slot.granted.cancelled():
                slot.released.set_result(None)  # granted in the same moment: give it back
            raise
        try:
            yield
        finally:
            slot.released.set_result(None)

    def _enqueue(self, item: _Call | _Slot) -> None:
        self._queue.append(item)
        if not self._busy:
            # At once, not on the next iteration: the thread works while the loop goes on
            # (waiting for the iteration's other calls measured worse added latency).
            self._busy = True
            self._next()

    def _next(self, _: object = None) -> None:
        """The connection is free: send everything queued up to the next slot in one
        hand-off, or grant that slot; idle when nothing waits."""
        while self._queue:
            head = self._queue.popleft()
            if isinstance(head, _Slot):
                if not head.granted.done():  # else cancelled while queued
                    head.granted.set_result(None)
                    head.released.add_done_callback(self._next)
                    return
                continue
            batch = [head]
            while self._queue and isinstance(self._queue[0], _Call):
                batch.append(cast(_Call, self._queue.popleft()))
            batch = [call for call in batch if not call.future.done()]
            if batch:
                self._send(batch)
                return
        self._busy = False

    def _send(self, batch: list[_Call]) -> None:
        """One hand-off: the batch goes on aiosqlite's queue with no future of its own (its
        worker skips the result of an item without one; pyproject asks for aiosqlite 0.22,
        whose worker does); the thread gives the answers to the loop itself, so the callers
        continue in the loop iteration after the one that picks them up. Through aiosqlite's
        future (``_execute``) they would continue in the third (its result set, the coroutine
        resumed, the callers), each iteration letting every other ready callback run first,
        and the thread would wake the loop twice."""
        works = [(call.work, call.atomic) for call in batch]
        loop = asyncio.get_running_loop()
        try:
            if not self._conn._running:  # what aiosqlite's own ``_execute`` refuses
                raise ValueError("no active connection")
            conn: sqlite3.Connection = self._conn._conn  # ValueError once closed
        except ValueError as error:
            self._answer(batch, [Outcome(error, failed=True)] * len(batch))
            return

        def run_and_answer() -> None:  # on the connection thread
            try:
                outcomes = run_batch(works, conn)
            except BaseException as error:  # noqa: BLE001 - each caller gets it
                outcomes = [Outcome(error, failed=True)] * len(batch)
            loop.call_soon_threadsafe(self._answer, batch, outcomes)

        self._conn._tx.put_nowait((None, run_and_answer))

    def _answer(self, batch: list[_Call], outcomes: list[Outcome]) -> None:
        for call, outcome in zip(batch, outcomes, strict=True):
            if call.future.done():
                continue  # its caller was cancelled while the batch was on the thread
            if outcome.failed:
                call.future.set_exception(cast(BaseException, outcome.value))
            else:
                call.future.set_result(outcome.value)
        if self.checkpointer is not None:
            self.checkpointer.poke()
        self._next()

    async def _hand_off(self, work: Work[T]) -> T:
        # aiosqlite's own way of running a function on its thread (its cursors use it);
        # it has no public one. One call: one queue put, one wake-up of the loop.
        result = await self._conn._execute(work, self._conn._conn)  # type: ignore[no-untyped-call]
        return cast(T, result)


@dataclass(frozen=True, slots=True)
class _Call:
    """One ``run`` / ``write`` waiting for the thread; ``atomic``: in its own transaction."""

    work: Work[object]
    atomic: bool
    future: asyncio.Future[object]


@dataclass(frozen=True, slots=True)
class _Slot:
    """A turn with the connection to itself (``transaction()``, ``close()``)."""

    granted: asyncio.Future[None]
    released: asyncio.Future[None]


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


def _begun(work: Work[T], conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN IMMEDIATE")
    return work(conn)


def _committed(work: Work[T], conn: sqlite3.Connection) -> T:
    result = work(conn)
    conn.execute("COMMIT")
    return result


def _commit(conn: sqlite3.Connection) -> None:
    conn.execute("COMMIT")


def _first(rows: Iterable[sqlite3.Row]) -> sqlite3.Row | None:
    return next(iter(rows), None)
