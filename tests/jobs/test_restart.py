"""Killing the bot with 20 jobs in flight and starting it again on the same SQLite file."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path

from bot.sim import SimRelay
from bot.store.base import JobState
from tests.jobs.harness import FakeClock, Recorder, open_bot


def _delivered_results(recorder: Recorder) -> Counter[int]:
    found: Counter[int] = Counter()
    for event in recorder.sent():
        match = re.search(r"job #(\d+)", event.reply.text)
        if event.reply.files and match:
            found[int(match.group(1))] += 1
    return found


async def test_restart_delivers_every_job_exactly_once(sim: SimRelay, tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    clock = FakeClock()
    recorder = Recorder(clock)
    async with open_bot(sim, db, clock, recorder, worker_id="before") as bot:
        for n in range(20):
            await bot.command(f"/imagine picture {n}")
        for task_id in sim.mj_task_ids()[:10]:
            sim.finish_mj_task(task_id)  # half finish on their first poll
        await bot.tracker.start()
        async with asyncio.timeout(10), recorder.updated:
            await recorder.updated.wait_for(lambda: len(_delivered_results(recorder)) >= 3)
        await bot.tracker.stop()  # the "kill": tasks cancelled wherever they are
        jobs = await bot.store.list_jobs_for_owner("test", "alice", limit=50)
        assert sum(job.state is not JobState.DELIVERED for job in jobs) > 0
    # the store is closed here; a new process opens the same file
    clock.now += 600  # any delivery lease of the dead worker has expired
    async with open_bot(sim, db, clock, recorder, worker_id="after") as bot:
        await bot.tracker.start()
        assert await bot.tracker.wait_idle(10)
        jobs = await bot.store.list_jobs_for_owner("test", "alice", limit=50)
        assert len(jobs) == 20 and all(job.state is JobState.DELIVERED for job in jobs)
        delivered = _delivered_results(recorder)
        assert sorted(delivered) == sorted(job.id for job in jobs)
        assert set(delivered.values()) == {1}

        # A button sent before the restart still works.
        first = next(e for e in recorder.sent() if e.reply.buttons)
        await bot.press("U3", event=first)
        assert len(sim.requests_to("/mj/submit/action")) == 1
        assert await bot.tracker.wait_idle(10)
        assert len(_delivered_results(recorder)) == 21
