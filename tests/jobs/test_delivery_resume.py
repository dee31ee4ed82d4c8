"""Deliveries resume, not repeat: every piece of a result is recorded as it is sent, and a
process restarted under the same identity takes over its predecessor's lease at once."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.core.models import DeliveryError, MessageRef, Reply
from bot.jobs.tracker import JobTracker
from bot.sim import SimRelay
from bot.store.base import JobState
from tests.jobs.harness import Bot, FakeClock, open_bot


def _clips(harness: Bot) -> list[Reply]:
    return [e.reply for e in harness.recorder.sent() if e.reply.files]


async def test_a_failed_second_piece_is_retried_alone(harness: Bot, sim: SimRelay) -> None:
    responder = harness.outlet.responder
    original = responder.send
    failures: list[str] = []

    async def second_clip_fails_once(reply: Reply) -> MessageRef:
        if reply.files and _clips(harness) and not failures:
            failures.append(reply.text)
            raise DeliveryError("Bad Gateway")
        return await original(reply)

    responder.send = second_clip_fails_once  # type: ignore[method-assign]
    await harness.command("/music a happy song about cats")
    await harness.settle()
    clips = _clips(harness)
    assert len(failures) == 1 and len(clips) == 2, "each clip exactly once"
    assert clips[0].text != clips[1].text
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert job.state is JobState.DELIVERED and job.pieces_sent == 1, "the last goes with finish"
    assert len(job.delivered_refs) == 2 and job.delivery_attempts == 2


async def _half_delivered(harness: Bot, worker: str) -> int:
    """A Suno result whose first clip went out under ``worker``'s lease, which then died."""
    await harness.command("/music a happy song about cats")
    # A tracker without platforms polls but delivers nothing: the claim below is the first.
    poller = JobTracker(harness.services, {}, clock=harness.clock, sleep=harness.clock.sleep,
                        worker_id="poller")
    for _ in range(10):
        harness.clock.now += 3
        await poller.run_once()
    job, *_ = await harness.store.list_jobs_for_owner("test", "alice")  # the newest
    assert job.state is JobState.SUCCEEDED
    assert await harness.store.claim_delivery(job.id, worker, 300)
    assert await harness.store.record_delivered_piece(job.id, worker, "c1:m-first", 300)
    return job.id


async def test_a_restart_under_the_same_identity_resumes_at_once(
    sim: SimRelay, tmp_path: Path
) -> None:
    clock = FakeClock()
    db = tmp_path / "bot.sqlite3"
    async with open_bot(sim, db, clock, worker_id="host-a") as before:
        job_id = await _half_delivered(before, "host-a")
    async with open_bot(sim, db, clock, worker_id="host-a") as after:
        await after.tracker.take_over()
        clock.now += 1  # far less than the 300 s lease
        await after.tracker.run_once()
        job = await after.store.get_job(job_id)
        assert job is not None and job.state is JobState.DELIVERED
        [second] = _clips(after)
        assert len(job.delivered_refs) == 2 and job.delivered_refs[0] == "c1:m-first"
        assert "(simulated)" in second.text
        # Its buttons were stored with the resuming claim: each leads back to the job.
        keys = [b.key for row in second.buttons for b in row]
        assert keys and [(await after.store.get_button(k)).job_id  # type: ignore[union-attr]
                         for k in keys] == [job_id] * len(keys)


async def test_another_identity_waits_for_the_lease(sim: SimRelay, tmp_path: Path) -> None:
    clock = FakeClock()
    db = tmp_path / "bot.sqlite3"
    async with open_bot(sim, db, clock, worker_id="host-a") as before:
        job_id = await _half_delivered(before, "host-a")
    async with open_bot(sim, db, clock, worker_id="host-b") as other:
        await other.tracker.take_over()
        clock.now += 1
        await other.tracker.run_once()
        assert (await other.store.get_job(job_id)).state is JobState.DELIVERING  # type: ignore[union-attr]
        clock.now += 300
        await other.tracker.run_once()
        job = await other.store.get_job(job_id)
        assert job is not None and job.state is JobState.DELIVERED
        assert len(_clips(other)) == 1, "only the unsent clip, never the first again"


async def test_a_dead_process_of_the_same_name_is_taken_over_a_live_one_is_not(
    sim: SimRelay, tmp_path: Path
) -> None:
    """Worker ids are ``<name>:<pid>:<random>``: by default a restarted process resumes the
    work of a same-named process whose pid no longer runs, never that of a live one."""
    ended = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await ended.wait()  # its pid runs no more
    clock = FakeClock()
    db = tmp_path / "bot.sqlite3"
    live, dead = f"bot-x:{os.getppid()}:aaaaaa", f"bot-x:{ended.pid}:bbbbbb"
    async with open_bot(sim, db, clock, worker_id="poller") as before:
        live_job = await _half_delivered(before, live)
        dead_job = await _half_delivered(before, dead)
    async with open_bot(sim, db, clock, worker_id=f"bot-x:{os.getpid()}:cccccc") as after:
        await after.tracker.take_over()
        clock.now += 1
        await after.tracker.run_once()
        assert (await after.store.get_job(dead_job)).state is JobState.DELIVERED  # type: ignore[union-attr]
        assert (await after.store.get_job(live_job)).state is JobState.DELIVERING  # type: ignore[union-attr]
