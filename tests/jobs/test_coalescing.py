"""Coalesced polling: one tick per poll interval, Midjourney jobs in batches of 100.

Jobs arrive at their own moments but are asked about together; older jobs are asked about
less often, on shared ticks; a relay callback may make one job due between ticks, at most
once per interval. A tick that changes nothing writes nothing.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.jobs.records import due_age_limit, poll_factor
from bot.jobs.tracker import JobTracker
from bot.sim import Fault, SimRelay
from bot.store.base import Job, JobState
from tests.jobs.harness import PLATFORM, START, Bot, FakeClock, open_bot

BATCH = "/mj/task/list-by-condition"


# Tasks that never finish during a test (each poll moves them 1/10000 of the way).
pytestmark = pytest.mark.sim(steps=10_000)


async def _add_job(harness: Bot, sim: SimRelay, n: int) -> Job:
    task_id = sim.add_mj_task(f"cat {n}", finished=False)
    return await harness.store.create_job(kind="mj", platform=PLATFORM, user_id="alice",
                                      chat_id="chat-1", relay_task_id=task_id,
                                      request={"title": "imagine", "prompt": f"cat {n}"})


def _batched_ids(sim: SimRelay, since: int) -> list[list[str]]:
    return [list(r.json["ids"]) for r in sim.requests[since:] if r.path == BATCH]


async def test_1000_staggered_jobs_take_one_batch_per_100_jobs_per_tick(
    harness: Bot, sim: SimRelay
) -> None:
    base = harness.services.config.relay.poll_interval_s
    arrivals = [START + 0.01 + n * 30.0 / 1000 for n in range(1000)]  # over 30 s
    waiting = list(enumerate(arrivals))
    tick_at = START
    for _ in range(12):
        tick_at += base
        arrived: set[str] = set()
        while waiting and waiting[0][1] <= tick_at:
            n, at = waiting.pop(0)
            harness.clock.now = at
            arrived.add((await _add_job(harness, sim, n)).relay_task_id or "")
        harness.clock.now = tick_at
        active = len(await harness.store.list_active_jobs(limit=2000))
        before = len(sim.requests)
        await harness.tracker.run_once()
        batches = _batched_ids(sim, before)
        assert len(sim.requests) - before == len(batches), "only batch requests"
        assert all(len(ids) <= 100 for ids in batches)
        assert len(batches) == math.ceil(active / 100)
        assert arrived <= {i for ids in batches for i in ids}, "newcomers join the next tick"
    assert active == 1000 and len(batches) == 10


async def test_older_jobs_are_asked_less_often_on_shared_ticks(
    harness: Bot, sim: SimRelay
) -> None:
    base = harness.services.config.relay.poll_interval_s
    ages = {"young": 10.0, "middle": 300.0, "old": 700.0}
    by_age: dict[str, set[str]] = {}
    for name, age in ages.items():
        harness.clock.now = START - age
        by_age[name] = {(await _add_job(harness, sim, n)).relay_task_id or "" for n in range(60)}
    harness.clock.now = START
    await harness.tracker.run_once()  # the first look at every job
    ticks_of: dict[str, list[int]] = {name: [] for name in ages}
    for tick in range(8):
        harness.clock.now += base
        before = len(sim.requests)
        await harness.tracker.run_once()
        batches = _batched_ids(sim, before)
        polled = {i for ids in batches for i in ids}
        assert len(batches) == math.ceil(len(polled) / 100), "due jobs fill shared batches"
        for name, ids in by_age.items():
            assert polled & ids in (set(), ids), f"all {name} jobs share the same ticks"
            if polled & ids:
                ticks_of[name].append(tick)
    assert len(ticks_of["young"]) == 8
    assert len(ticks_of["middle"]) == 4 and len(ticks_of["old"]) == 2
    assert set(ticks_of["old"]) <= set(ticks_of["middle"])


async def test_a_job_between_its_ticks_is_not_asked_about_yet_times_out_on_time(
    harness: Bot, sim: SimRelay
) -> None:
    base = harness.services.config.relay.poll_interval_s
    harness.clock.now = START - 700.0  # old: asked about on every 4th tick
    job = await _add_job(harness, sim, 0)
    task_id = job.relay_task_id or ""
    sim.set_mj_task_status(task_id, "IN_PROGRESS", progress="10%")
    harness.clock.now = START
    young = await _add_job(harness, sim, 1)  # asked about on every tick
    polled_at: list[int] = []
    for tick in range(8):
        harness.clock.now += base
        before = len(sim.requests)
        await harness.tracker.run_once()
        if task_id in {i for ids in _batched_ids(sim, before) for i in ids}:
            polled_at.append(tick)
    assert polled_at == [0, 3, 7]  # the first look, then every 4th tick
    # Its deadline passes just before the second tick after its last poll.
    deadline = harness.clock.now + 2 * base - 1.0
    assert await harness.store.update_job(job.id, deadline=deadline)
    for _ in range(2):
        harness.clock.now += base
        before = len(sim.requests)
        await harness.tracker.run_once()
        asked = {i for ids in _batched_ids(sim, before) for i in ids}
        assert task_id not in asked and young.relay_task_id in asked
    seen = await harness.store.get_job(job.id)
    assert seen is not None and seen.outcome is JobState.TIMED_OUT
    assert seen.finished_at == harness.clock.now
    assert "did not finish in time" in harness.recorder.texts()[-1]


@pytest.mark.parametrize("base", [1.0, 3.0, 20.0, 30.0, 45.0, 60.0, 90.0])
def test_the_store_lists_every_job_a_tick_asks_about_by_age(base: float) -> None:
    """The tick asks the store only for jobs younger than ``due_age_limit``: no job that
    :func:`poll_factor` makes due on that tick may be older (whatever the interval caps)."""
    ages = [0.0, 60.0, 119.9, 120.0, 300.0, 599.9, 600.0, 3600.0, 86_400.0]
    for tick in range(1, 25):
        limit = due_age_limit(base, tick)
        due = [age for age in ages if tick % poll_factor(base, age) == 0]
        assert all(age < limit for age in due)
    if base == 3.0:  # and old jobs between their ticks are left out
        assert [due_age_limit(base, tick) for tick in (1, 2, 3, 4)] == [120, 600, 120, math.inf]


async def test_a_relay_refusing_batches_gets_one_fetch_per_job_per_tick(
    harness: Bot, sim: SimRelay
) -> None:
    sim.add_fault(Fault("POST", BATCH, status=404, times=None))
    base = harness.services.config.relay.poll_interval_s
    for n in range(150):
        harness.clock.now = START + n * 0.02
        await _add_job(harness, sim, n)
    for tick in range(3):
        harness.clock.now = START + (tick + 1) * base
        before = len(sim.requests)
        await harness.tracker.run_once()
        made = sim.requests[before:]
        fetched = [r.path for r in made if r.path.endswith("/fetch")]
        assert len(fetched) == len(set(fetched)) == 150
        assert len([r for r in made if r.path == BATCH]) == (1 if tick == 0 else 0)


async def test_unchanged_tasks_write_nothing(harness: Bot, sim: SimRelay) -> None:
    jobs = [await _add_job(harness, sim, n) for n in range(5)]
    for job in jobs:
        sim.set_mj_task_status(job.relay_task_id or "", "IN_PROGRESS", progress="40%")
    harness.clock.now += 3
    await harness.tracker.run_once()
    seen = [await harness.store.get_job(job.id) for job in jobs]
    assert all(j is not None and j.progress == 40 and j.updated_at == harness.clock.now
               for j in seen)
    first_write = harness.clock.now
    for _ in range(3):
        harness.clock.now += 3
        await harness.tracker.run_once()
    assert len(_batched_ids(sim, 0)) == 4, "asked every tick"
    after = [await harness.store.get_job(job.id) for job in jobs]
    assert all(j is not None and j.updated_at == first_write for j in after)


class GatedSleep:
    """The tracker's sleep: naps never end by themselves, so only the bell moves the loop."""

    def __init__(self) -> None:
        self.naps = 0
        self.napping = asyncio.Condition()

    async def sleep(self, seconds: float) -> None:
        async with self.napping:
            self.naps += 1
            self.napping.notify_all()
        await asyncio.Event().wait()

    async def next_nap(self, after: int) -> None:
        async with self.napping:
            await asyncio.wait_for(self.napping.wait_for(lambda: self.naps > after), 5)


@asynccontextmanager
async def _gated_tracker(harness: Bot) -> AsyncIterator[tuple[JobTracker, GatedSleep]]:
    """A started tracker whose naps only the bell ends; stopped on the way out."""
    gate = GatedSleep()
    tracker = JobTracker(harness.services, {PLATFORM: harness.outlet}, clock=harness.clock,
                         sleep=gate.sleep, worker_id="loop")
    await tracker.start()
    try:
        yield tracker, gate
    finally:
        await tracker.stop()


async def test_a_callback_makes_its_job_due_at_once_but_once_per_interval(
    harness: Bot, sim: SimRelay
) -> None:
    harness.clock.now = START - 700  # old jobs: asked about on every 4th tick only
    first, second = await _add_job(harness, sim, 1), await _add_job(harness, sim, 2)
    harness.clock.now = START
    async with _gated_tracker(harness) as (tracker, gate):
        await gate.next_nap(0)  # the first tick looked at both jobs
        assert len(_batched_ids(sim, 0)) == 1
        sim.finish_mj_task(first.relay_task_id or "")
        harness.clock.now += 0.5
        tracker.wake(first.relay_task_id)
        await gate.next_nap(1)
        assert _batched_ids(sim, 0)[1:] == [[first.relay_task_id]]
        sim.finish_mj_task(second.relay_task_id or "")
        harness.clock.now += 0.5
        tracker.wake(second.relay_task_id)  # the same interval: waits for the next tick
        await gate.next_nap(2)
        assert len(_batched_ids(sim, 0)) == 2
        harness.clock.now = START + harness.services.config.relay.poll_interval_s
        tracker.wake()
        await gate.next_nap(3)
        assert _batched_ids(sim, 0)[2:] == [[second.relay_task_id]]
        assert await tracker.wait_idle(5)
    delivered = [await harness.store.get_job(job.id) for job in (first, second)]
    assert all(j is not None and len(j.delivered_refs) == 1 for j in delivered)


async def test_new_jobs_leave_the_tracker_asleep_until_the_next_tick(
    harness: Bot, sim: SimRelay
) -> None:
    await _add_job(harness, sim, 1)
    async with _gated_tracker(harness) as (tracker, gate):
        await gate.next_nap(0)
        assert len(_batched_ids(sim, 0)) == 1
        for n in range(2, 5):  # newcomers within the same interval, as users send them
            harness.clock.now += 0.5
            await harness.command(f"/imagine cat {n}")
        await asyncio.sleep(0.05)  # time for a woken tracker to run (it must not)
        assert gate.naps == 1, "a new job does not wake the tracker"
        assert not harness.services.jobs.rung
        assert len(_batched_ids(sim, 0)) == 1, "no request between ticks"
        statuses = [text for text in harness.recorder.texts() if "cat 4" in text]
        assert statuses, "the newcomer's status message was posted"
        harness.clock.now = START + harness.services.config.relay.poll_interval_s
        tracker.wake()  # the gated sleep never ends by itself: the tick is due now
        await gate.next_nap(1)
        assert [len(ids) for ids in _batched_ids(sim, 0)] == [1, 4], "all joined the tick"


async def test_a_wake_between_ticks_sends_no_status_request(
    harness: Bot, sim: SimRelay
) -> None:
    """A cancel or a MODAL answer rings the bell: due deliveries start, nothing is polled."""
    await _add_job(harness, sim, 1)
    async with _gated_tracker(harness) as (_tracker, gate):
        await gate.next_nap(0)
        for n in range(2, 5):
            harness.clock.now += 0.5
            await _add_job(harness, sim, n)
            harness.services.jobs.ring()
            await gate.next_nap(n - 1)
        assert len(_batched_ids(sim, 0)) == 1, "no request between ticks"


async def test_processes_sharing_a_store_poll_through_one_of_them(
    sim: SimRelay, tmp_path: Path
) -> None:
    db, clock = tmp_path / "shared.sqlite3", FakeClock()
    base = 3.0
    async with open_bot(sim, db, clock, worker_id="one") as one, \
            open_bot(sim, db, clock, worker_id="two") as two:
        for n in range(3):
            await _add_job(one, sim, n)
        for _ in range(2):
            clock.now += base
            await one.tracker.run_once()
            await two.tracker.run_once()
        assert len(_batched_ids(sim, 0)) == 2, "one poll per tick, not one per process"
        before = len(sim.requests)
        for _ in range(3):  # "one" stops ticking (hung or killed): its lease runs out
            clock.now += base
            await two.tracker.run_once()
        assert len(_batched_ids(sim, before)) == 1, "taken over after three missed ticks"
    async with open_bot(sim, db, clock, worker_id="three") as three:
        before = len(sim.requests)
        clock.now += base
        await three.tracker.run_once()
        assert len(_batched_ids(sim, before)) == 1, "a clean stop hands the lease on at once"
