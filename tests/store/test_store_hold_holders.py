"""Which open reservations a process refunds: only those of processes that are gone.

Several bot processes may share one database. Each reservation records its process's worker
id (``<instance_name>:<pid>:<random>``); a process that starts refunds a jobless hold only
when its holder is unknown (made before v6), had this process's name and no longer runs
here, or held it past ``STALE_HOLD_S``, which the job poller's periodic sweep also refunds
(a process on another host that dies and never restarts). Real stores, both backends."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiosqlite
import pytest

from bot.config import CreditsConfig
from bot.config_storage import StorageConfig
from bot.core.credits import STALE_HOLD_S, Credits
from bot.store import open_store as open_configured_store
from bot.store.base import Store
from bot.store.sqlite import migrations as sqlite_migrations
from tests.fakes.clock import JumpingClock
from tests.store.conftest import OpenStore

ALICE = "telegram:1"
NAME = "bot-host:/data/relaybot.db"
CONFIG = CreditsConfig(enabled=True, daily=40)


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has exited (waited for, so it is gone, not a zombie)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def worker(pid: int, tag: str, name: str = NAME) -> str:
    return f"{name}:{pid}:{tag}"


# This test process starting; a live sibling of the same name (our parent runs).
ME = worker(os.getpid(), "aaaaaa")
LIVE_SIBLING = worker(os.getppid(), "bbbbbb")


async def reserve(store: Store, clock: JumpingClock, holder: str, amount: float = 10
                  ) -> str:
    hold, _ = await Credits(CONFIG, store, clock, holder=holder).reserve(
        ALICE, "image", amount, lambda balance: False)
    assert hold is not None
    return hold.hold


async def kinds(store: Store) -> list[tuple[str, float]]:
    return [(e.kind, e.amount) for e in await store.ledger_entries(ALICE)]


async def test_a_reservation_records_the_process_that_made_it(
    store: Store, clock: JumpingClock
) -> None:
    hold = await reserve(store, clock, LIVE_SIBLING)
    [open_hold] = await store.open_holds()
    assert (open_hold.hold, open_hold.holder) == (hold, LIVE_SIBLING)


async def test_a_live_process_keeps_its_hold_across_another_start_and_is_charged_once(
    open_store: OpenStore, store: Store, clock: JumpingClock
) -> None:
    live = Credits(CONFIG, store, clock, holder=LIVE_SIBLING)
    hold, _ = await live.reserve(ALICE, "image", 10, lambda balance: False)
    assert hold is not None
    clock.now += 30  # the sibling is still waiting for the relay
    starting = await open_store()
    assert await Credits(CONFIG, starting, clock, holder=ME).recover(clock.now) == 0
    assert await Credits(CONFIG, starting, clock, holder=ME).sweep() == 0
    assert (await live.balance(ALICE)).left == 30, "still reserved for the running use"

    assert await live.settle(hold, succeeded=True)
    assert not await live.settle(hold, succeeded=True)
    assert await kinds(store) == [("reserve", 10), ("charge", 10)]


async def test_a_dead_process_of_the_same_name_is_refunded_at_start(
    store: Store, clock: JumpingClock, dead_pid: int
) -> None:
    await reserve(store, clock, worker(dead_pid, "cccccc"))
    await reserve(store, clock, LIVE_SIBLING, amount=5)
    clock.now += 1
    assert await Credits(CONFIG, store, clock, holder=ME).recover(clock.now) == 1
    assert await kinds(store) == [("reserve", 10), ("reserve", 5), ("refund", 10)]


async def test_a_predecessor_with_this_pid_is_refunded_at_start(
    store: Store, clock: JumpingClock
) -> None:
    # A container restarts its bot with the same pid: the earlier one is gone all the same.
    await reserve(store, clock, worker(os.getpid(), "dddddd"))
    clock.now += 1
    assert await Credits(CONFIG, store, clock, holder=ME).recover(clock.now) == 1
    assert await kinds(store) == [("reserve", 10), ("refund", 10)]


async def test_an_unknown_holder_is_refunded_at_start(store: Store, clock: JumpingClock) -> None:
    await reserve(store, clock, holder="")
    clock.now += 1
    assert await Credits(CONFIG, store, clock, holder=ME).recover(clock.now) == 1
    assert await kinds(store) == [("reserve", 10), ("refund", 10)]


async def test_another_hosts_hold_is_kept_until_stale_then_swept_once(
    store: Store, clock: JumpingClock, dead_pid: int
) -> None:
    # Another host's pid cannot be looked up here: only its age tells it is abandoned.
    elsewhere = worker(dead_pid, "eeeeee", name="other-host:/data/relaybot.db")
    await reserve(store, clock, elsewhere)
    credits = Credits(CONFIG, store, clock, holder=ME)
    clock.now += STALE_HOLD_S - 1
    assert await credits.recover(clock.now) == 0
    assert await credits.sweep() == 0
    clock.now += 1
    assert await credits.sweep() == 1
    assert await credits.sweep() == 0
    assert await kinds(store) == [("reserve", 10), ("refund", 10)]
    assert (await credits.balance(ALICE)).left == 40


async def test_a_stale_hold_settled_at_the_same_time_as_the_sweep_is_settled_once(
    open_store: OpenStore, store: Store, clock: JumpingClock
) -> None:
    live = Credits(CONFIG, store, clock, holder=LIVE_SIBLING)
    holds = []
    for _ in range(8):
        hold, _ = await live.reserve(ALICE, "image", 1, lambda balance: False)
        assert hold is not None
        holds.append(hold)
    clock.now += STALE_HOLD_S
    sweeper = Credits(CONFIG, await open_store(), clock, holder=ME)
    swept, *settled = await asyncio.gather(
        sweeper.sweep(), *(live.settle(hold, succeeded=True) for hold in holds))
    assert swept + sum(settled) == len(holds), "each hold settled by exactly one of them"
    entries = await store.ledger_entries(ALICE)
    settlements = [e.hold for e in entries if e.kind in ("charge", "refund")]
    assert sorted(settlements) == sorted(hold.hold for hold in holds)


async def test_holds_made_before_v6_are_read_as_unknown_and_refunded(
    tmp_path: Path, clock: JumpingClock
) -> None:
    path = tmp_path / "v5.db"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await sqlite_migrations.migrate(conn, str(path), sqlite_migrations.MIGRATIONS[:5])
        await conn.execute(
            "INSERT INTO credit_ledger (hold, identity, capability, kind, amount, day,"
            " created_at) VALUES ('old', ?, 'image', 'reserve', 10, 1, ?)",
            (ALICE, clock.now),
        )
    store = await open_configured_store(StorageConfig(path=path), clock=clock)
    try:
        [open_hold] = await store.open_holds()
        assert open_hold.holder == ""
        clock.now += 1
        assert await Credits(CONFIG, store, clock, holder=ME).recover(clock.now) == 1
        assert await kinds(store) == [("reserve", 10), ("refund", 10)]
    finally:
        await store.close()
