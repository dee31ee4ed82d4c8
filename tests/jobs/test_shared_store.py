"""Several trackers on one store, as several ``relaybot run`` processes would be.

One of them polls at a time (the ``job-poller`` lease), so trackers ticking at once never
ask about a job twice in a tick and keep each tick's Midjourney batches whole; each result
is delivered once (delivery claims). A poller that died is replaced once its lease has run
out: three poll intervals, or ``[jobs] lease_s`` if shorter, never under two intervals.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from bot.jobs.leases import POLL_LEASE, poll_lease_s
from bot.jobs.tracker import JobTracker
from bot.sim import SimRelay
from bot.store.base import JobState
from tests.jobs.harness import Bot, FakeClock, Recorder, open_bot

BATCH = "/mj/task/list-by-condition"


async def _add_jobs(harness: Bot, sim: SimRelay, count: int) -> list[int]:
    ids = []
    for n in range(count):
        task_id = sim.add_mj_task(f"cat {n}", finished=False)
        job = await harness.store.create_job(kind="mj", platform="test", user_id="alice",
                                         chat_id="chat-1", relay_task_id=task_id,
                                         request={"title": "imagine", "prompt": f"cat {n}"})
        ids.append(job.id)
    return ids


def _batches(sim: SimRelay, since: int) -> list[list[str]]:
    return [list(r.json["ids"]) for r in sim.requests[since:] if r.path == BATCH]


async def test_trackers_ticking_together_poll_each_job_once_and_deliver_it_once(
    sim: SimRelay, tmp_path: Path
) -> None:
    clock = FakeClock()
    db = tmp_path / "shared.sqlite3"
    async with open_bot(sim, db, clock, worker_id="a") as first, open_bot(
        sim, db, clock, first.recorder, worker_id="b"
    ) as second:
        recorder = first.recorder
        await _add_jobs(first, sim, 150)
        base = first.services.config.relay.poll_interval_s
        for _ in range(20):
            active = len(await first.store.list_active_jobs(limit=1000))
            if not active and not await first.store.list_due_deliveries(limit=1):
                break
            since = len(sim.requests)
            clock.now += base
            await asyncio.gather(first.tracker.run_once(), second.tracker.run_once())
            batches = _batches(sim, since)
            polled = [task for ids in batches for task in ids]
            assert len(polled) == len(set(polled)), "no job polled twice in one tick"
            assert len(batches) <= math.ceil(active / 100), "one poller: batches stay whole"
        else:
            raise AssertionError("jobs did not settle")
    results = [e.reply.text for e in recorder.sent() if e.reply.files]
    assert len(results) == 150
    assert sorted(results) == sorted(set(results)), "each result delivered once"


async def test_two_trackers_starting_one_result_together_store_one_set_of_buttons(
    sim: SimRelay, tmp_path: Path
) -> None:
    clock = FakeClock()
    db = tmp_path / "shared.sqlite3"
    async with open_bot(sim, db, clock, worker_id="a") as first, open_bot(
        sim, db, clock, first.recorder, worker_id="b"
    ) as second:
        ids = await _add_jobs(first, sim, 3)
        for task_id in sim.mj_task_ids():  # finished before either tracker looks
            sim.finish_mj_task(task_id)
        poller = JobTracker(first.services, {}, clock=clock, sleep=clock.sleep,
                            worker_id="poller")
        clock.now += first.services.config.relay.poll_interval_s
        await poller.run_once()
        await asyncio.gather(first.tracker.run_once(), second.tracker.run_once())
        sent = [e.reply for e in first.recorder.sent() if e.reply.files]
        assert len(sent) == 3, "each result once"
        # Both built each result; only the claim's winner stored its buttons, so every
        # key stored is one a user was shown (no orphan keys from the loser).
        shown = [b.key for reply in sent for row in reply.buttons for b in row]
        stored = [b.key for job_id in ids for b in await second.store.buttons_for_job(job_id)]
        assert shown and sorted(stored) == sorted(shown)


async def test_a_dead_pollers_lease_is_taken_over_once_it_runs_out(
    sim: SimRelay, tmp_path: Path
) -> None:
    clock, lease_s = FakeClock(), 4.0  # shorter than three intervals: it shortens the lease
    async with open_bot(sim, tmp_path / "bot.sqlite3", clock, Recorder(clock),
                        lease_s=lease_s) as bot:
        base = bot.services.config.relay.poll_interval_s
        ttl = poll_lease_s(base, lease_s)
        assert base * 2 <= ttl < base * 3
        [job_id] = await _add_jobs(bot, sim, 1)
        # What a poller that died leaves behind: its lease, renewed at its last tick.
        assert await bot.store.claim_lease(POLL_LEASE, "dead:1:x", ttl)
        expires_at, since = clock.now + ttl, len(sim.requests)
        while clock.now + base < expires_at:
            clock.now += base
            await bot.tracker.run_once()
        assert _batches(sim, since) == [], "still the dead process's lease"
        await bot.settle()
        job = await bot.store.get_job(job_id)
        assert job is not None and job.state is JobState.DELIVERED
        assert sum(bool(e.reply.files) for e in bot.recorder.sent()) == 1


def test_the_poll_lease_follows_the_poll_interval_and_lease_s() -> None:
    assert poll_lease_s(3.0, 300.0) == 9.0, "by default a dead poller misses three ticks"
    assert poll_lease_s(0.5, 3.0) == 1.5
    assert poll_lease_s(3.0, 7.5) == 7.5, "a shorter [jobs] lease_s recovers sooner"
    assert poll_lease_s(3.0, 1.0) == 6.0, "never so short it lapses between two ticks"
