"""Tracker behaviour: batched polling, the per-job fallback, deadlines, progress states."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import JobsConfig
from bot.jobs.tracker import JobTracker
from bot.sim import Fault, SimRelay
from bot.store.base import JobState
from tests.jobs.harness import PLATFORM, Bot, FakeClock, open_bot

SLOTS = JobsConfig().parallel_deliveries  # results sent at once, by default


async def _add_jobs(harness: Bot, sim: SimRelay, count: int) -> list[int]:
    ids = []
    for n in range(count):
        task_id = sim.add_mj_task(f"cat {n}", finished=False)
        job = await harness.store.create_job(kind="mj", platform="test", user_id="alice",
                                         chat_id="chat-1", relay_task_id=task_id,
                                         request={"title": "imagine", "prompt": f"cat {n}"})
        ids.append(job.id)
    return ids


async def test_200_jobs_take_two_requests_per_tick(harness: Bot, sim: SimRelay) -> None:
    await _add_jobs(harness, sim, 200)
    before = len(sim.requests)
    harness.clock.now += 1
    await harness.tracker.run_once()
    made = sim.requests[before:]
    assert [r.path for r in made] == ["/mj/task/list-by-condition"] * 2
    assert sorted(len(r.json["ids"]) for r in made) == [100, 100]
    running = await harness.store.list_active_jobs(limit=300)
    assert len(running) == 200 and all(j.state is JobState.RUNNING for j in running)
    assert all(j.progress == 33 for j in running)


async def test_refused_batch_endpoint_falls_back_to_fetch(harness: Bot, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/mj/task/list-by-condition", status=404, times=None))
    await _add_jobs(harness, sim, 3)
    await harness.settle()
    assert len(sim.requests_to("/mj/task/list-by-condition")) == 1  # tried once, then no more
    assert len(sim.requests_to("/mj/task/*/fetch")) == 9  # 3 polls per job
    assert sum(bool(e.reply.files) for e in harness.recorder.sent()) == 3


async def test_refused_batch_endpoint_is_tried_again_later(harness: Bot, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/mj/task/list-by-condition", status=404, times=1))
    await _add_jobs(harness, sim, 2)
    harness.clock.now += harness.services.config.relay.poll_interval_s
    await harness.tracker.run_once()  # refused: these polls go one by one
    assert len(sim.requests_to("/mj/task/*/fetch")) == 2
    harness.clock.now += 601  # the refusal may have been passing
    for _ in range(4):  # jobs this old are asked about on every 4th tick
        harness.clock.now += harness.services.config.relay.poll_interval_s
        await harness.tracker.run_once()
    assert len(sim.requests_to("/mj/task/list-by-condition")) == 2
    assert len(sim.requests_to("/mj/task/*/fetch")) == 2  # batched again


async def test_deadline_reports_timeout_with_ids(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/imagine a stuck job")
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    sim.set_mj_task_status(job.relay_task_id or "", "IN_PROGRESS", progress="10%")
    for _ in range(400):  # 3 s ticks, slower for old jobs, until the 15-minute deadline
        harness.clock.now += 3.0
        await harness.tracker.run_once()
        seen = await harness.store.get_job(job.id)
        assert seen is not None
        job = seen
        if job.state is JobState.DELIVERED:
            break
    assert job.outcome is JobState.TIMED_OUT
    assert 15 * 60 <= (job.finished_at or 0) - job.created_at < 16 * 60
    text = harness.recorder.texts()[-1]
    assert "did not finish in time" in text and f"{job.relay_task_id}" in text
    assert f"#{job.id}" in text
    polls = len(sim.requests_to("/mj/task/list-by-condition"))
    assert polls < 15 * 60 / 3  # old jobs are polled less often


async def test_a_slow_preview_does_not_hold_up_other_jobs(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/imagine a slow lighthouse")
    await harness.command("/imagine a quick harbour")
    slow_id, _quick_id = sim.mj_task_ids()
    # The first job's preview takes a while to download; the second one's does not.
    sim.add_fault(Fault("GET", f"/sim/media/image/*/{slow_id}-preview-1.png", delay_s=0.3,
                        passthrough=True))
    harness.clock.now += harness.services.config.relay.poll_interval_s
    await harness.tracker.run_once()
    previews = [e.message_id for e in harness.recorder.events
                if e.kind == "edit" and e.reply.files and "%" in e.reply.text]
    status_of = {text: e.message_id for e in harness.recorder.sent() for text in
                 ("slow lighthouse", "quick harbour") if text in e.reply.text}
    assert previews == [status_of["quick harbour"], status_of["slow lighthouse"]]


async def test_progress_edits_go_out_eight_at_a_time_and_every_one_is_shown(
    harness: Bot, sim: SimRelay
) -> None:
    for n in range(12):
        await harness.command(f"/imagine a busy harbour {n}")
    previews_held = asyncio.Event()
    fault = sim.add_fault(Fault("GET", "/sim/media/image/*/*", hold=previews_held,
                                passthrough=True, times=None))
    harness.clock.now += harness.services.config.relay.poll_interval_s
    ticking = asyncio.create_task(harness.tracker.run_once())
    for _ in range(500):
        if fault.held >= 8:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # time enough for a ninth download, had one started
    assert fault.held == 8, "at most eight progress edits (preview downloads) at once"
    previews_held.set()
    await ticking
    edited = {e.message_id for e in harness.recorder.events
              if e.kind == "edit" and e.reply.files and "%" in e.reply.text}
    assert len(edited) == 12, "every job's progress is shown in the same tick"


@pytest.mark.sim(steps=50, new_api_mode=True)
async def test_a_preview_that_cannot_be_fetched_causes_no_unchanged_edits(
    harness: Bot, sim: SimRelay
) -> None:
    sim.add_fault(Fault("GET", "/mj/image/*", status=404, times=None))
    await harness.command("/imagine a lighthouse")
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    sim.set_mj_task_status(job.relay_task_id or "", "IN_PROGRESS", progress=50)
    status_id = harness.recorder.sent()[-1].message_id
    for _ in range(6):
        harness.clock.now += 10
        await harness.tracker.run_once()

    edits = harness.recorder.edits_of(status_id)
    assert edits, "the 50 % progress is shown"
    texts = [e.reply.text for e in edits]
    assert len(texts) == len(set(texts)), texts  # never an edit with unchanged text



@pytest.mark.sim(steps=50, new_api_mode=True)
async def test_a_preview_link_that_changes_only_its_rand_is_not_downloaded_again(
    harness: Bot, sim: SimRelay
) -> None:
    # new-api's image proxy adds ?rand=<ns> to a running task's link in every answer.
    await harness.command("/imagine a lighthouse")
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    task_id = job.relay_task_id or ""
    sim.set_mj_task_status(task_id, "IN_PROGRESS", progress="50%")
    status_id = harness.recorder.sent()[-1].message_id
    for _ in range(6):
        harness.clock.now += 10
        await harness.tracker.run_once()

    assert len(sim.requests_to("/mj/image/*")) == 1
    shown = [e for e in harness.recorder.edits_of(status_id) if e.reply.files]
    assert len(shown) == 1 and "50%" in shown[0].reply.text

    sim.set_mj_task_status(task_id, "IN_PROGRESS", progress="60%")  # the image moves on too
    harness.clock.now += 10
    await harness.tracker.run_once()
    assert len(sim.requests_to("/mj/image/*")) == 2
    shown = [e for e in harness.recorder.edits_of(status_id) if e.reply.files]
    assert len(shown) == 2 and "60%" in shown[1].reply.text


async def test_a_final_status_edit_waiting_for_its_throttle_holds_up_no_other_result(
    sim: SimRelay, tmp_path: Path
) -> None:
    async with open_bot(sim, tmp_path / "bot.sqlite3", FakeClock(),
                        progress_interval_s=10.0) as bot:
        throttles_held = False
        throttles_over = asyncio.Event()

        async def sleep(seconds: float) -> None:  # throttles end when the test says so
            if throttles_held and seconds > 0:
                await throttles_over.wait()
            await bot.clock.sleep(seconds)

        tracker = JobTracker(bot.services, {PLATFORM: bot.outlet}, clock=bot.clock,
                             sleep=sleep, worker_id="w1")
        try:
            for n in range(SLOTS + 1):
                await bot.command(f"/imagine a lighthouse {n}")
            for _ in range(2):  # 33 %, then 67 %: each status message edited
                bot.clock.now += 10
                await tracker.run_once()
            throttles_held = True
            bot.clock.now += 3  # the results are in, 3 s after the last edits
            ticking = asyncio.create_task(tracker.run_once())
            async with asyncio.timeout(5), bot.recorder.updated:
                await bot.recorder.updated.wait_for(lambda: len(
                    [e for e in bot.recorder.sent() if e.reply.files]) > SLOTS)
            assert not [e for e in bot.recorder.events if e.kind == "edit"
                        and "Done" in e.reply.text], "the final edits wait for the throttle"
            throttles_over.set()
            await ticking
        finally:
            throttles_over.set()
            await tracker.stop()
        finals = [e for e in bot.recorder.events if e.kind == "edit" and "Done" in e.reply.text]
        assert len(finals) == SLOTS + 1


async def test_a_throttled_progress_edit_is_shown_later_though_the_job_did_not_change(
    sim: SimRelay, tmp_path: Path
) -> None:
    async with open_bot(sim, tmp_path / "bot.sqlite3", FakeClock(),
                        progress_interval_s=10.0) as bot:
        await bot.command("/imagine a slow lighthouse")
        (job,) = await bot.store.list_jobs_for_owner("test", "alice")
        task_id = job.relay_task_id or ""
        status_id = bot.recorder.sent()[-1].message_id
        sim.set_mj_task_status(task_id, "IN_PROGRESS", progress="30%")
        bot.clock.now += 3
        await bot.tracker.run_once()  # shown at once
        sim.set_mj_task_status(task_id, "IN_PROGRESS", progress="60%")
        bot.clock.now += 3
        await bot.tracker.run_once()  # stored, but the message waits for its throttle
        assert [e.reply.text for e in bot.recorder.edits_of(status_id) if "60%" in e.reply.text
                ] == []
        for _ in range(3):  # the relay says the same: nothing is written, the edit comes
            bot.clock.now += 3
            await bot.tracker.run_once()
        shown = [e for e in bot.recorder.edits_of(status_id) if "60%" in e.reply.text]
        assert len(shown) == 1
        assert shown[0].at - bot.recorder.edits_of(status_id)[0].at >= 10.0


def _edits_of(harness: Bot, text: str) -> list[str]:
    return [e.reply.text for e in harness.recorder.events
            if e.kind == "edit" and text in e.reply.text]


@pytest.mark.sim(steps=6)
async def test_while_earlier_results_wait_for_a_delivery_slot_progress_edits_wait(
    harness: Bot, sim: SimRelay
) -> None:
    for n in range(SLOTS + 1):
        await harness.command(f"/imagine a finished lighthouse {n}")
    for _ in range(5):  # 83 %
        harness.clock.now += 3
        await harness.tracker.run_once()
    await harness.command("/imagine a running harbour")
    downloads_held = asyncio.Event()
    faults = [sim.add_fault(Fault("GET", f"/sim/media/image/*/{task_id}.png",
                                  hold=downloads_held, passthrough=True))
              for task_id in sim.mj_task_ids()[:-1]]
    harness.clock.now += 3
    finishing = asyncio.create_task(harness.tracker.run_once())  # the lighthouses finish
    # Until every slot holds a result whose download is held, and the harbour's progress
    # (shown in the same tick, after the deliveries started) is out.
    for _ in range(500):
        if sum(f.held for f in faults) == SLOTS and _edits_of(harness, "harbour"):
            break
        await asyncio.sleep(0.01)
    assert [t.split("\n")[2] for t in _edits_of(harness, "harbour")] == ["▰▰▱▱▱▱▱▱▱▱ 17%"]

    polls = len(sim.requests_to("/mj/task/list-by-condition"))
    harness.clock.now += 3
    busy = asyncio.create_task(harness.tracker.run_once())  # one result waits for a slot
    for _ in range(500):
        if len(sim.requests_to("/mj/task/list-by-condition")) > polls:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # time enough for an edit, had the tick made one
    assert len(_edits_of(harness, "harbour")) == 1, "no progress edit while results wait"

    downloads_held.set()
    await finishing
    await busy
    harness.clock.now += 3
    await harness.tracker.run_once()  # no result waits: the harbour's status catches up
    latest = [e for e in harness.recorder.events if e.kind == "edit"
              and "harbour" in e.reply.text][-1]
    assert "50%" in latest.reply.text and latest.reply.files  # its newest state and preview
