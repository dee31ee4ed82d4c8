"""Callers sharing the SQLite connection's hand-offs.

A call made while the connection is free goes to its thread at once; the calls made while
a batch is on the thread go there together, in one hand-off, when it comes back. Each
caller must still see exactly what it would have seen alone: its own result or its own
error, in the order the calls were made, a failed write taking nothing with it,
``transaction()`` keeping the connection to itself, and a caller that gave up before its
turn never run.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import aiosqlite.core
import pytest

from bot.store.sqlite import checkpoints
from bot.store.sqlite.db import Database, execute, fetch_all, fetch_one

Work = Callable[[sqlite3.Connection], Any]


class HandOffs:
    """Counts hand-offs to the store connection's aiosqlite thread: the store's batches
    (which go on its queue directly) and everything else through aiosqlite's ``_execute``
    (not the checkpointer's: its connection has a thread of its own)."""

    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def handoffs(monkeypatch: pytest.MonkeyPatch) -> HandOffs:
    counter = HandOffs()
    execute = aiosqlite.core.Connection._execute
    send = Database._send

    async def counted(self: aiosqlite.core.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn is not checkpoints._checkpoint:
            counter.count += 1
        return await execute(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    def counted_send(self: Database, batch: Any) -> None:
        counter.count += 1
        send(self, batch)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    monkeypatch.setattr(Database, "_send", counted_send)
    return counter


class ThreadGate:
    """A work that keeps the connection thread inside its batch until ``release``: the
    calls made meanwhile queue up behind it."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.started: asyncio.Future[None] = self._loop.create_future()
        self._release = threading.Event()

    def hold(self, conn: sqlite3.Connection) -> None:
        self._loop.call_soon_threadsafe(self.started.set_result, None)
        self._release.wait(timeout=30)  # only so that a broken test cannot hang the suite

    def release(self) -> None:
        self._release.set()


@pytest.fixture
async def gate(db: Database) -> AsyncIterator[ThreadGate]:
    held = ThreadGate()
    yield held
    held.release()  # also when the test failed while holding the thread


async def their_first_step() -> None:
    """One loop iteration: every task created before this has run up to its first wait
    (asyncio runs ready callbacks in order), so its call is queued."""
    await asyncio.sleep(0)


async def in_one_batch(
    db: Database, gate: ThreadGate, handoffs: HandOffs, *calls: Awaitable[Any]
) -> list[Any]:
    """``calls`` made while the thread is held, so that they go to it in one hand-off;
    what each caller got (a result or an exception)."""
    held = asyncio.create_task(db.run(gate.hold))
    await gate.started
    before = handoffs.count
    tasks = [asyncio.ensure_future(call) for call in calls]
    await their_first_step()
    gate.release()
    await held
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert handoffs.count - before == 1
    return outcomes


def insert(name: str) -> Work:
    return partial(execute, sql="INSERT INTO leases (name, holder, until) VALUES (?, 'w', 1)",
                   params=(name,))


def names(conn: sqlite3.Connection) -> list[str]:
    return [row["name"] for row in fetch_all(conn, "SELECT name FROM leases ORDER BY rowid")]


def count(conn: sqlite3.Connection) -> int:
    row = fetch_one(conn, "SELECT COUNT(*) AS n FROM leases")
    assert row is not None
    return int(row["n"])


# -- one hand-off, each caller its own answer ---------------------------------------------

async def test_calls_made_together_share_a_hand_off_each_with_its_own_result(
    db: Database, handoffs: HandOffs
) -> None:
    """The first goes at once; the other 19, made while it is on the thread, together."""
    before = handoffs.count
    rows = await asyncio.gather(
        *(db.fetch_one("SELECT ? AS n", (n,)) for n in range(20))
    )
    assert [row["n"] for row in rows if row is not None] == list(range(20))
    assert handoffs.count - before == 2


async def test_calls_made_while_the_thread_is_busy_go_together_next(
    db: Database, handoffs: HandOffs, gate: ThreadGate
) -> None:
    held = asyncio.create_task(db.run(gate.hold))
    await gate.started
    before = handoffs.count
    writes = [asyncio.create_task(db.write(insert(f"w{n}"))) for n in range(5)]
    read = asyncio.create_task(db.run(count))
    await their_first_step()
    assert not any(task.done() for task in (*writes, read))
    gate.release()
    await held
    assert [await write for write in writes] == [1] * 5
    assert await read == 5
    assert handoffs.count - before == 1


async def test_one_failing_write_leaves_the_others_in_its_batch_committed(
    db: Database, gate: ThreadGate, handoffs: HandOffs
) -> None:
    def half_then_duplicate(conn: sqlite3.Connection) -> None:
        insert("b")(conn)
        insert("a")(conn)  # already there: the whole work must be undone, "b" too

    outcomes = await in_one_batch(
        db, gate, handoffs,
        db.write(insert("a")),
        db.write(half_then_duplicate),
        db.write(insert("c")),
        db.run(names),
    )
    assert outcomes[0] == 1
    assert isinstance(outcomes[1], sqlite3.IntegrityError)
    assert outcomes[2] == 1
    assert outcomes[3] == ["a", "c"]  # a read later in the batch sees only the committed
    assert await db.run(names) == ["a", "c"]


async def test_a_write_whose_commit_fails_gets_the_error_and_keeps_nothing(
    db: Database, gate: ThreadGate, handoffs: HandOffs
) -> None:
    await db.run(lambda conn: conn.executescript(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (parent INTEGER REFERENCES parent (id)"
        " DEFERRABLE INITIALLY DEFERRED);"
    ))
    orphan = partial(execute, sql="INSERT INTO child VALUES (7)")  # fails only at COMMIT
    outcomes = await in_one_batch(
        db, gate, handoffs,
        db.write(insert("before")),
        db.write(orphan),
        db.write(insert("after")),
    )
    assert isinstance(outcomes[1], sqlite3.IntegrityError)
    assert "FOREIGN KEY" in str(outcomes[1])
    assert [outcomes[0], outcomes[2]] == [1, 1]
    assert await db.fetch_all("SELECT * FROM child") == []
    assert await db.run(names) == ["before", "after"]


async def test_a_failing_read_in_a_batch_fails_only_its_caller(
    db: Database, gate: ThreadGate, handoffs: HandOffs
) -> None:
    outcomes = await in_one_batch(
        db, gate, handoffs,
        db.fetch_one("SELECT 1 AS n"),
        db.fetch_one("SELECT * FROM no_such_table"),
        db.execute("INSERT INTO leases (name, holder, until) VALUES ('x', 'w', 1)"),
    )
    assert isinstance(outcomes[0], sqlite3.Row) and outcomes[0]["n"] == 1
    assert isinstance(outcomes[1], sqlite3.OperationalError)
    assert outcomes[2] == 1
    assert await db.run(names) == ["x"]


# -- order --------------------------------------------------------------------------------

async def test_calls_run_in_the_order_they_were_made(
    db: Database, gate: ThreadGate
) -> None:
    """Within a batch and across batches: each read sees exactly the writes made before it."""
    first = [db.write(insert("w0")), db.run(count), db.execute(
        "INSERT INTO leases (name, holder, until) VALUES ('r1', 'w', 1)"), db.run(count)]
    assert await asyncio.gather(*first) == [1, 1, 1, 2]

    held = asyncio.create_task(db.run(gate.hold))
    await gate.started
    later = [asyncio.create_task(call) for call in (
        db.write(insert("w2")), db.run(count), db.write(insert("w3")), db.run(names))]
    await their_first_step()
    gate.release()
    await held
    assert [await task for task in later] == [1, 3, 1, ["w0", "r1", "w2", "w3"]]


# -- transaction(): the connection to itself ------------------------------------------------

async def test_a_transaction_waits_for_the_calls_made_before_it(
    db: Database, gate: ThreadGate
) -> None:
    held = asyncio.create_task(db.run(gate.hold))
    await gate.started
    earlier = asyncio.create_task(db.write(insert("earlier")))
    await their_first_step()

    async def look() -> list[str]:
        async with db.transaction() as tx:
            return await tx.run(names)

    looking = asyncio.create_task(look())
    await their_first_step()
    gate.release()
    await held
    assert await looking == ["earlier"]
    assert await earlier == 1


async def test_calls_made_during_a_transaction_wait_for_its_end(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.run(insert("tx"))
        others = [asyncio.create_task(call) for call in (
            db.write(insert("o1")), db.run(count), db.write(insert("o2")))]
        await their_first_step()
        # Another hand-off inside the transaction: had the queued calls been sent, they
        # would have gone to the thread before it.
        assert await tx.run(names) == ["tx"]
        assert not any(task.done() for task in others)
    assert [await task for task in others] == [1, 2, 1]
    assert await db.run(names) == ["tx", "o1", "o2"]


# -- cancellation -------------------------------------------------------------------------

async def test_a_call_cancelled_while_queued_never_runs(
    db: Database, gate: ThreadGate
) -> None:
    held = asyncio.create_task(db.run(gate.hold))
    await gate.started
    doomed = asyncio.create_task(db.write(insert("doomed")))
    kept = asyncio.create_task(db.write(insert("kept")))
    await their_first_step()
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    gate.release()
    await held
    assert await kept == 1
    assert await db.run(names) == ["kept"]


async def test_a_transaction_cancelled_while_queued_does_not_hold_up_the_rest(
    db: Database, gate: ThreadGate
) -> None:
    async def write_in_transaction() -> None:
        async with db.transaction() as tx:
            await tx.finish(insert("tx"))

    held = asyncio.create_task(db.run(gate.hold))
    await gate.started
    doomed = asyncio.create_task(write_in_transaction())
    after = asyncio.create_task(db.write(insert("after")))
    await their_first_step()
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    gate.release()
    await held
    assert await after == 1
    assert await db.run(names) == ["after"]


async def test_a_caller_cancelled_after_its_batch_left_still_has_its_work_done(
    db: Database, gate: ThreadGate
) -> None:
    """As with any call already on the thread: the work runs and commits; only the caller
    stops waiting for it."""
    first = ThreadGate()
    held = asyncio.create_task(db.run(first.hold))
    try:
        await first.started
        # The next batch: the gate, then the call, together on the thread.
        holding = asyncio.create_task(db.run(gate.hold))
        gone = asyncio.create_task(db.write(insert("gone")))
        await their_first_step()
    finally:
        first.release()
    await held
    await gate.started
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    gate.release()
    await holding
    assert await db.run(names) == ["gone"]


# -- close --------------------------------------------------------------------------------

async def test_close_first_runs_every_call_made_before_it(db: Database) -> None:
    outcomes = await asyncio.gather(
        db.write(insert("a")), db.write(insert("b")), db.run(count), db.close()
    )
    assert outcomes == [1, 1, 2, None]
    with pytest.raises(ValueError, match="connection"):
        await db.run(count)
    reopened = await Database.connect(db.path, busy_timeout_ms=1000)
    try:
        assert await reopened.run(names) == ["a", "b"]
    finally:
        await reopened.close()


# -- the way back ---------------------------------------------------------------------------

async def test_a_caller_continues_in_the_loop_turn_after_its_answer_arrives(
    db: Database,
) -> None:
    # Every turn of the loop between the thread's answer and the caller lets all other
    # ready work run first; on a busy loop each costs the caller that much waiting.
    loop = asyncio.get_running_loop()
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    answered_at: list[int] = []

    def answer(conn: sqlite3.Connection) -> int:
        # Reaches the loop just before the call's own answer does.
        loop.call_soon_threadsafe(lambda: answered_at.append(turns))
        return 1

    counting = asyncio.create_task(count_turns())
    try:
        waited = []
        for _ in range(5):
            assert await db.run(answer) == 1
            waited.append(turns - answered_at[-1])
    finally:
        counting.cancel()
    # The marker and the answer are two wake-ups from the thread: one that loses the CPU
    # between them lets the loop turn in between, so only the best of five is exact.
    assert min(waited) == 1
