"""A relay callback should make the tracker look at that job now, not at its next poll."""

from __future__ import annotations

import aiohttp

from bot.jobs.notify import NotifyListener
from bot.sim import SimRelay
from bot.store.base import JobState
from tests.jobs.harness import Bot


async def test_a_callback_gets_the_finished_job_delivered_before_its_next_poll(
    bot: Bot, sim: SimRelay
) -> None:
    await bot.command("/imagine a lighthouse")
    (task_id,) = sim.mj_task_ids()
    bot.clock.now += bot.services.config.relay.poll_interval_s
    await bot.tracker.run_once()  # polled: the next poll is a full interval away
    (job,) = await bot.store.list_active_jobs(limit=10)
    assert job.next_poll_at > bot.clock.now
    sim.finish_mj_task(task_id)
    listener = NotifyListener("127.0.0.1", 0, "/mj/notify", bot.tracker.wake)
    await listener.start()
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{listener.port}/mj/notify"
            async with session.post(url, json={"id": task_id, "status": "SUCCESS"}) as resp:
                assert resp.status == 200
    finally:
        await listener.stop()
    await bot.tracker.run_once()  # the tick the callback woke, clock unchanged
    stored = await bot.store.get_job(job.id)
    assert stored is not None and stored.state is JobState.DELIVERED
