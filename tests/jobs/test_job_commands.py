"""/jobs, /queue, /cancel, /seed."""

from __future__ import annotations

from bot.sim import SimRelay
from bot.store.base import JobState
from tests.jobs.harness import BOB, Bot


async def test_jobs_lists_and_cancels_queued(bot: Bot, sim: SimRelay) -> None:
    await bot.command("/jobs")
    assert bot.recorder.texts()[-1] == "You have no jobs yet."
    await bot.command("/imagine first")
    await bot.settle()
    await bot.command("/imagine second")
    await bot.command("/jobs")
    listing = bot.recorder.sent()[-1]
    assert "Running:" in listing.reply.text and "Recent:" in listing.reply.text
    assert "second" in listing.reply.text and "Done" in listing.reply.text
    (queued,) = [j for j in await bot.store.list_jobs_for_owner("test", "alice")
                 if j.state is JobState.SUBMITTED]
    await bot.press(f"Cancel #{queued.id}", user=BOB)  # not Bob's job
    assert not sim.requests_to("/mj/task/*/cancel")
    await bot.press(f"Cancel #{queued.id}")
    (cancel,) = sim.requests_to("/mj/task/*/cancel")
    assert cancel.path == f"/mj/task/{queued.relay_task_id}/cancel"
    await bot.settle()
    assert "was cancelled" in bot.recorder.texts()[-1]
    job = await bot.store.get_job(queued.id)
    assert job is not None and job.outcome is JobState.CANCELLED


async def test_cancel_and_seed_commands(bot: Bot, sim: SimRelay) -> None:
    await bot.command("/imagine a seed test")
    (job,) = await bot.store.list_jobs_for_owner("test", "alice")
    await bot.command(f"/seed {job.id}")
    assert "not finished" in bot.recorder.texts()[-1]
    await bot.command(f"/cancel #{job.id}", user=BOB)
    assert "no job" in bot.recorder.texts()[-1]
    await bot.command(f"/cancel {job.relay_task_id}")
    assert "cancel job #" in bot.recorder.texts()[-1]
    await bot.settle()

    await bot.command("/imagine another")
    await bot.settle()
    done = (await bot.store.list_jobs_for_owner("test", "alice"))[0]
    await bot.command(f"/seed #{done.id}")
    assert sim.requests_to("/mj/task/*/image-seed")[-1].path == (
        f"/mj/task/{done.relay_task_id}/image-seed")
    assert f"Seed of job #{done.id}:" in bot.recorder.texts()[-1]
    await bot.command("/cancel 99999")
    assert "no job" in bot.recorder.texts()[-1]


async def test_queue_shows_own_prompts_only(bot: Bot, sim: SimRelay) -> None:
    await bot.command("/queue")
    assert "empty" in bot.recorder.texts()[-1]
    await bot.command("/imagine my secret castle")
    sim.add_mj_task("someone else's prompt", finished=False)
    await bot.command("/queue")
    text = bot.recorder.texts()[-1]
    assert "2 task(s)" in text and "my secret castle" in text
    assert "someone else" not in text
