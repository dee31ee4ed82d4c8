"""The SQLite backend's connection: whole operations on its thread, and no table scans.

Each store operation runs as one function on the connection thread (``Database.run`` /
``Database.write``); these tests check what callers rely on: a failed write leaves nothing
behind, nothing slips into an open transaction, and the statements a job's life issues
find their rows through an index (a scan would grow with every job ever stored).
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.store.records import ButtonSpec, JobState, JobUpdate, SettingScope
from bot.store.rows import new_button_keys
from bot.store.sqlite.buttons import SqliteButtons
from bot.store.sqlite.community import SqliteAccess, SqliteLedger
from bot.store.sqlite.db import Database, execute, fetch_all
from bot.store.sqlite.deliveries import SqliteDeliveries
from bot.store.sqlite.jobs import SqliteJobs
from bot.store.sqlite.settings import SqliteSettings
from tests.fakes.clock import JumpingClock


@pytest.fixture
def jumping() -> JumpingClock:
    return JumpingClock()


def _counts(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM leases").fetchone()[0])


async def test_a_write_that_fails_halfway_leaves_nothing(db: Database) -> None:
    def half(conn: sqlite3.Connection) -> None:
        execute(conn, "INSERT INTO leases (name, holder, until) VALUES ('a', 'w', 1)")
        execute(conn, "INSERT INTO leases (name, holder, until) VALUES ('a', 'w', 2)")  # dup

    with pytest.raises(sqlite3.IntegrityError):
        await db.write(half)
    assert await db.run(_counts) == 0
    # The connection is usable again: no transaction was left open.
    await db.write(lambda c: execute(c, "INSERT INTO leases VALUES ('b', 'w', 1)"))
    assert await db.run(_counts) == 1


async def test_no_call_slips_into_an_open_transaction(db: Database) -> None:
    """A transaction that goes back to the loop between statements keeps the connection:
    a call made meanwhile runs after the commit, so a rollback does not take it along."""
    entered = asyncio.Event()
    release = asyncio.Event()

    async def failing_transaction() -> None:
        async with db.transaction() as tx:
            await tx.run(lambda c: execute(c, "INSERT INTO leases VALUES ('tx', 'w', 1)"))
            entered.set()
            await release.wait()
            raise RuntimeError("the caller refused")

    task = asyncio.create_task(failing_transaction())
    await entered.wait()
    meanwhile = asyncio.create_task(
        db.run(lambda c: execute(c, "INSERT INTO leases VALUES ('other', 'w', 1)"))
    )
    await asyncio.sleep(0.01)
    assert not meanwhile.done()
    release.set()
    with pytest.raises(RuntimeError):
        await task
    assert await meanwhile == 1
    names = await db.run(lambda c: fetch_all(c, "SELECT name FROM leases"))
    assert [row["name"] for row in names] == ["other"]


async def test_a_cancelled_transaction_is_rolled_back(db: Database) -> None:
    entered = asyncio.Event()

    async def slow_transaction() -> None:
        async with db.transaction() as tx:
            await tx.run(lambda c: execute(c, "INSERT INTO leases VALUES ('tx', 'w', 1)"))
            entered.set()
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.create_task(slow_transaction())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await db.run(_counts) == 0


async def test_a_jobs_life_finds_every_row_through_an_index(
    db: Database, jumping: JumpingClock
) -> None:
    """Every statement of a paid job's life (gate, submit, polling, delivery, buttons,
    settlement) is planned without a full table scan."""
    clock = jumping
    statements: list[str] = []
    await db.run(lambda c: c.set_trace_callback(statements.append))
    jobs, deliveries = SqliteJobs(db, clock), SqliteDeliveries(db, clock)
    ledger = SqliteLedger(db)
    buttons, settings = SqliteButtons(db, clock, new_button_keys), SqliteSettings(db, clock)

    await settings.all_settings(SettingScope.USER, "test", "u1")
    await SqliteAccess(db).access_rules(("test:u1",))
    await SqliteAccess(db).allowance("test:u1")
    ok, _ = await ledger.reserve_credits(hold="h1", identity="test:u1", capability="midjourney",
                                         amount=1, day=1, at=clock(), admit=lambda t: True)
    assert ok
    assert await jobs.count_active_jobs("test", "u1") == 0
    job = await jobs.create_job(kind="mj", platform="test", user_id="u1", chat_id="c1",
                                state=JobState.SUBMITTING, submit_tag="tag-1", hold="h1")
    assert await jobs.count_active_jobs("test", "u1") == 1
    await jobs.update_job(job.id, only_from={JobState.SUBMITTING}, state=JobState.SUBMITTED,
                          relay_task_id="task-1")
    await jobs.list_active_jobs(limit=100, due_before=clock())
    await jobs.list_tick_jobs(now=clock(), created_after=clock() - 120, limit=100)
    await jobs.list_tick_jobs(now=clock(), created_after=None, limit=100)
    assert [j.id for j in await jobs.get_jobs([job.id])] == [job.id]
    await jobs.apply_job_updates([JobUpdate(job.id, JobState.SUCCEEDED, 100, "SUCCESS",
                                            result={"image_url": "x"})])
    assert [due.job_id for due in await deliveries.list_due_delivery_ids(limit=100)] == [job.id]
    assert [due.id for due in await deliveries.list_due_deliveries(limit=100)] == [job.id]
    assert await deliveries.claim_delivery(job.id, "w1", 60)
    assert await deliveries.record_delivered_piece(job.id, "w1", "m1", 60)
    assert await deliveries.finish_delivery(job.id, "w1")
    (key,) = await buttons.create_buttons(job.id, [ButtonSpec("mj_action", "U1")])
    assert (await buttons.claim_button(key.key, stale_after_s=60)).won
    assert not (await buttons.claim_button(key.key, stale_after_s=60)).won  # the conflict path
    assert await ledger.settle_hold("h1", "charge", at=clock()) is not None
    await ledger.credit_totals("test:u1", 1, bot_total=False)

    scans = await db.run(lambda c: _scans(c, statements))
    assert not scans, "\n".join(scans)


def _scans(conn: sqlite3.Connection, statements: list[str]) -> list[str]:
    conn.set_trace_callback(None)
    found: list[str] = []
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            continue
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql):
            detail = str(row[-1])
            # The due deliveries read their partial index in order up to the limit.
            ordered = detail.endswith("USING INDEX jobs_due_for_delivery")
            if detail.startswith("SCAN ") and "CONSTANT ROW" not in detail and not ordered:
                found.append(f"{detail}: {' '.join(sql.split())[:160]}")
    return found
