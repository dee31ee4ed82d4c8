"""The optional Midjourney callback: submits name it, and a callback wakes the tracker."""

from __future__ import annotations

import aiohttp
import pytest

from bot.config import ConfigError, parse_config
from bot.core.errors import StartupError
from bot.jobs.notify import NotifyListener
from bot.relay import RelayClient
from bot.sim import SimRelay
from bot.store.base import JobState
from tests.jobs.harness import Bot
from tests.relay_samples import sample
from tests.relay_sim import SIM_KEY


async def test_every_midjourney_submit_names_the_callback(sim: SimRelay) -> None:
    hook = "https://bot.example.com/mj/notify"
    async with aiohttp.ClientSession() as session:
        client = RelayClient(
            session, base_url=sim.base_url, api_key=SIM_KEY, timeout_s=10, notify_hook=hook
        )
        submit = await client.mj.imagine("a lighthouse")
        await client.mj.fetch(submit.task_id)
        sim.finish_mj_task(submit.task_id)
        task = await client.mj.fetch(submit.task_id)
        await client.mj.action(submit.task_id, task.buttons[0].custom_id)
    bodies = [r.json for r in sim.requests if r.method == "POST" and "/submit/" in r.path]
    assert len(bodies) == 2
    assert all(isinstance(b, dict) and b["notifyHook"] == hook for b in bodies)


async def test_callbacks_wake_the_tracker_and_garbage_does_not() -> None:
    woken: list[int] = []
    listener = NotifyListener("127.0.0.1", 0, "/mj/notify", lambda _id: woken.append(1))
    await listener.start()
    base = f"http://127.0.0.1:{listener.port}"
    callback = sample("mj_notify_callback.json")
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{base}/mj/notify", json=callback) as resp:
                assert resp.status == 200
            async with session.post(f"{base}/mj/notify", data=b"{not json") as resp:
                assert resp.status == 400
            async with session.post(f"{base}/mj/notify", data=b"[" * 100_000) as resp:
                assert resp.status == 400  # nested too deep to parse: no traceback
            async with session.get(f"{base}/mj/notify") as resp:
                assert resp.status == 405
            async with session.post(f"{base}/elsewhere", json=callback) as resp:
                assert resp.status == 404
    finally:
        await listener.stop()
    assert woken == [1]


def test_notify_url_needs_a_listen_address() -> None:
    raw = {"relay": {"base_url": "http://127.0.0.1:1", "api_key": "k",
                     "notify_url": "https://bot.example.com/mj/notify"}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, env={})
    assert caught.value.problems == [
        "relay.notify_url: notify_url and notify_listen go together: set both or neither"
    ]
    raw["relay"]["notify_listen"] = "0.0.0.0:8080"
    config = parse_config(raw, env={})
    assert config.relay.notify_listen == ("0.0.0.0", 8080)


async def test_a_taken_port_is_one_clear_startup_error() -> None:
    first = NotifyListener("127.0.0.1", 0, "/mj/notify", lambda *_: None)
    await first.start()
    try:
        second = NotifyListener("127.0.0.1", first.port, "/mj/notify", lambda *_: None)
        with pytest.raises(StartupError, match=r"check relay\.notify_listen"):
            await second.start()
    finally:
        await first.stop()


async def test_a_callback_gets_the_finished_job_delivered_before_its_next_poll(
    harness: Bot, sim: SimRelay
) -> None:
    await harness.command("/imagine a lighthouse")
    (task_id,) = sim.mj_task_ids()
    harness.clock.now += harness.services.config.relay.poll_interval_s
    await harness.tracker.run_once()  # polled: the next poll is a full interval away
    (job,) = await harness.store.list_active_jobs(limit=10)
    assert job.next_poll_at > harness.clock.now
    sim.finish_mj_task(task_id)
    listener = NotifyListener("127.0.0.1", 0, "/mj/notify", harness.tracker.wake)
    await listener.start()
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{listener.port}/mj/notify"
            async with session.post(url, json={"id": task_id, "status": "SUCCESS"}) as resp:
                assert resp.status == 200
    finally:
        await listener.stop()
    await harness.tracker.run_once()  # the tick the callback woke, clock unchanged
    stored = await harness.store.get_job(job.id)
    assert stored is not None and stored.state is JobState.DELIVERED
