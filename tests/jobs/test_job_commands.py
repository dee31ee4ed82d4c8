"""/jobs, /queue, /cancel, /seed."""

from __future__ import annotations

from bot.sim import SimRelay
from bot.store.base import JobState
from tests.jobs.harness import BOB, Bot


async def test_jobs_lists_and_cancels_queued(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/jobs")
    assert harness.recorder.texts()[-1] == "You have no jobs yet."
    await harness.command("/imagine first")
    await harness.settle()
    await harness.command("/imagine second")
    await harness.command("/jobs")
    listing = harness.recorder.sent()[-1]
    assert "Running:" in listing.reply.text and "Recent:" in listing.reply.text
    assert "second" in listing.reply.text and "Done" in listing.reply.text
    (queued,) = [j for j in await harness.store.list_jobs_for_owner("test", "alice")
                 if j.state is JobState.SUBMITTED]
    await harness.press(f"Cancel #{queued.id}", user=BOB)  # not Bob's job
    assert not sim.requests_to("/mj/task/*/cancel")
    await harness.press(f"Cancel #{queued.id}")
    (cancel,) = sim.requests_to("/mj/task/*/cancel")
    assert cancel.path == f"/mj/task/{queued.relay_task_id}/cancel"
    await harness.settle()
    assert "was cancelled" in harness.recorder.texts()[-1]
    job = await harness.store.get_job(queued.id)
    assert job is not None and job.outcome is JobState.CANCELLED


async def test_cancel_and_seed_commands(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/imagine a seed test")
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    await harness.command(f"/seed {job.id}")
    assert "not finished" in harness.recorder.texts()[-1]
    await harness.command(f"/cancel #{job.id}", user=BOB)
    assert "no job" in harness.recorder.texts()[-1]
    await harness.command(f"/cancel {job.relay_task_id}")
    assert "cancel job #" in harness.recorder.texts()[-1]
    await harness.settle()

    await harness.command("/imagine another")
    await harness.settle()
    done = (await harness.store.list_jobs_for_owner("test", "alice"))[0]
    await harness.command(f"/seed #{done.id}")
    assert sim.requests_to("/mj/task/*/image-seed")[-1].path == (
        f"/mj/task/{done.relay_task_id}/image-seed")
    assert f"Seed of job #{done.id}:" in harness.recorder.texts()[-1]
    await harness.command("/cancel 99999")
    assert "no job" in harness.recorder.texts()[-1]


async def test_queue_shows_own_prompts_only(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/queue")
    assert "empty" in harness.recorder.texts()[-1]
    await harness.command("/imagine my secret castle")
    sim.add_mj_task("someone else's prompt", finished=False)
    await harness.command("/queue")
    text = harness.recorder.texts()[-1]
    assert "2 task(s)" in text and "my secret castle" in text
    assert "someone else" not in text
