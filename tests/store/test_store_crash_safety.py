"""The store's part in crash safety: write-ahead jobs, resumable deliveries, a restarted
process taking over its own leases, and button presses that act once, across processes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.store.base import ButtonSpec, DuplicateJobError, JobState, NewUsage, Store
from tests.store.conftest import OpenStore


async def _submitting(store: Store, tag: str = "relaybot-t1", worker: str = "host-a") -> int:
    job = await store.create_job(kind="mj", platform="telegram", user_id="u1", chat_id="c1",
                                 request={"prompt": "a cat"}, state=JobState.SUBMITTING,
                                 submit_tag=tag, submit_worker=worker)
    return job.id


async def _finished(store: Store) -> int:
    job = await store.create_job(kind="mj", platform="telegram", user_id="u1", chat_id="c1",
                                 relay_task_id=f"task-{id(store)}-{await _count(store)}")
    await store.update_job(job.id, state=JobState.SUCCEEDED, result={"image_url": "x"})
    return job.id


async def _count(store: Store) -> int:
    return len(await store.list_jobs_for_owner("telegram", "u1", limit=1000))


async def test_a_write_ahead_job_is_active_and_unique_by_tag(store: Store) -> None:
    job_id = await _submitting(store)
    job = await store.get_job(job_id)
    assert job is not None and job.state is JobState.SUBMITTING and job.submit_tag == "relaybot-t1"
    assert job.relay_task_id is None and job.is_active
    with pytest.raises(Exception, match=r"(?i)unique|constraint"):
        await _submitting(store)  # the tag is what finds the task again: never shared
    tracked = await store.update_job(job_id, only_from={JobState.SUBMITTING},
                                     state=JobState.SUBMITTED, relay_task_id="T1",
                                     request={"prompt": "a cat", "queue_position": 2})
    assert tracked is not None and tracked.relay_task_id == "T1"
    assert tracked.request == {"prompt": "a cat", "queue_position": 2}
    again = await _submitting(store, tag="relaybot-t2")
    with pytest.raises(DuplicateJobError):
        await store.update_job(again, relay_task_id="T1")


async def _usage_count(store: Store) -> int:
    summary = await store.usage_summary("telegram", "u1", since=0.0)
    return sum(totals.count for totals in summary.values())


async def test_an_accepted_submit_is_tracked_with_its_usage_entry_in_one_step(
    store: Store,
) -> None:
    usage = NewUsage("telegram", "u1", "c1", kind="mj", model="FAST")
    job_id = await _submitting(store)
    tracked = await store.accept_submit(
        job_id, relay_task_id="T1", next_poll_at=5_000.0, usage=usage,
        request={"prompt": "a cat", "queue_position": 2},
    )
    assert tracked is not None and tracked.state is JobState.SUBMITTED
    assert tracked.relay_task_id == "T1" and tracked.next_poll_at == 5_000.0
    assert tracked.request == {"prompt": "a cat", "queue_position": 2}
    assert tracked == await store.get_job(job_id), "what it returns is what is stored"
    assert await _usage_count(store) == 1
    # Accepting again (a late duplicate answer) changes nothing and counts nothing.
    assert await store.accept_submit(job_id, relay_task_id="T9", next_poll_at=1.0,
                                     usage=usage) is None
    assert await _usage_count(store) == 1

    # The tracker decided first (the answer was given up as lost): the row stays decided.
    decided = await _submitting(store, tag="relaybot-t2")
    await store.update_job(decided, only_from={JobState.SUBMITTING}, state=JobState.FAILED,
                           error="unconfirmed")
    assert await store.accept_submit(decided, relay_task_id="T2", next_poll_at=1.0,
                                     usage=usage) is None
    job = await store.get_job(decided)
    assert job is not None and job.state is JobState.FAILED and job.relay_task_id is None

    # A task another job follows: nothing is written, the row waits to be discarded.
    other = await _submitting(store, tag="relaybot-t3")
    with pytest.raises(DuplicateJobError):
        await store.accept_submit(other, relay_task_id="T1", next_poll_at=1.0, usage=usage)
    job = await store.get_job(other)
    assert job is not None and job.state is JobState.SUBMITTING and job.request == {
        "prompt": "a cat"}, "a request not given is left as it was"
    assert await _usage_count(store) == 1


async def test_an_acceptance_whose_usage_entry_fails_is_taken_back_whole(store: Store) -> None:
    """The window between the task id and the usage entry: a failure there (as a crash)
    leaves the row SUBMITTING, for the tracker to find by its tag, and no entry."""
    job_id = await _submitting(store)
    broken = NewUsage("telegram", "u1", "c1", kind=None)  # type: ignore[arg-type]
    with pytest.raises(Exception, match=r"(?i)null"):
        await store.accept_submit(job_id, relay_task_id="T1", next_poll_at=1.0, usage=broken)
    job = await store.get_job(job_id)
    assert job is not None and job.state is JobState.SUBMITTING and job.relay_task_id is None
    assert await _usage_count(store) == 0
    assert await store.accept_submit(job_id, relay_task_id="T1", next_poll_at=1.0) is not None
    assert await _usage_count(store) == 0, "no usage given, none recorded"


async def test_the_first_status_message_is_stored_and_makes_the_job_due(store: Store) -> None:
    job_id = await _submitting(store)
    assert await store.set_status_message(job_id, "tg:c1:7", next_poll_at=1_234.0)
    job = await store.get_job(job_id)
    assert job is not None and job.status_message_ref == "tg:c1:7"
    assert job.next_poll_at == 1_234.0 and job.state is JobState.SUBMITTING
    assert not await store.set_status_message(job_id + 1000, "tg:c1:8", next_poll_at=1.0)


async def test_a_refused_submit_is_closed_failed_without_a_delivery(store: Store) -> None:
    job_id = await _submitting(store)
    closed = await store.close_refused_submit(job_id, "banned word: cat")
    assert closed is not None and closed.state is JobState.DELIVERED
    assert closed.outcome is JobState.FAILED and closed.error == "banned word: cat"
    assert await store.list_due_deliveries() == []
    assert await store.close_refused_submit(job_id, "again") is None, "only from submitting"
    assert not await store.discard_submitting_job(job_id)
    other = await _submitting(store, tag="relaybot-t2")
    assert await store.discard_submitting_job(other) and await store.get_job(other) is None


async def test_pieces_are_recorded_and_finish_appends(store: Store) -> None:
    job_id = await _finished(store)
    assert await store.claim_delivery(job_id, "host-a", 300)
    assert await store.record_delivered_piece(job_id, "host-a", "c1:1", 300)
    assert not await store.record_delivered_piece(job_id, "host-b", "c1:x", 300)
    assert await store.record_delivered_piece(job_id, "host-a", "c1:2", 300)
    job = await store.get_job(job_id)
    assert job is not None and job.pieces_sent == 2 and job.delivered_refs == ("c1:1", "c1:2")
    assert await store.finish_delivery(job_id, "host-a", ["c1:notice"])
    job = await store.get_job(job_id)
    assert job is not None and job.delivered_refs == ("c1:1", "c1:2", "c1:notice")


async def test_take_over_frees_only_the_same_identity(
    open_store: OpenStore, advance: Callable[[float], None]
) -> None:
    store = await open_store()
    mine, theirs = await _finished(store), await _finished(store)
    assert await store.claim_delivery(mine, "host-a", 300)
    assert await store.claim_delivery(theirs, "host-b", 300)
    submit = await _submitting(store)
    advance(1)
    restarted = await open_store()
    assert await restarted.workers_with_prefix("host-") == ["host-a", "host-b"]
    assert await restarted.workers_with_prefix("host-a") == ["host-a"]
    assert await restarted.take_over("host-a") == 2
    due = [job.id for job in await restarted.list_due_deliveries()]
    assert due == [mine], "host-b's lease is still valid"
    assert await restarted.claim_delivery(mine, "host-a", 300)
    [active] = await restarted.list_active_jobs(due_before=1e18)
    assert active.id == submit and active.next_poll_at <= active.updated_at


async def test_fifty_presses_in_two_processes_one_wins(
    open_store: OpenStore, advance: Callable[[float], None]
) -> None:
    first, second = await open_store(), await open_store()
    [button] = await first.create_buttons(None, [ButtonSpec("mj_action", "U1")])
    claims = await asyncio.gather(*(
        (first if n % 2 else second).claim_button(button.key, stale_after_s=600)
        for n in range(50)
    ))
    assert sum(claim.won for claim in claims) == 1
    job_id = await _submitting(first)
    await first.attach_button_job(button.key, job_id)
    await first.release_button(button.key)  # a press with a job keeps its claim
    late = await second.claim_button(button.key, stale_after_s=600)
    assert not late.won and late.job_id == job_id
    await first.update_job(job_id, state=JobState.FAILED, error="relay failed")
    retry = await second.claim_button(button.key, stale_after_s=600)
    assert retry.won and retry.job_id is None, "a failed job frees the button"


async def test_a_press_that_started_nothing_frees_the_button(
    store: Store, advance: Callable[[float], None]
) -> None:
    [button] = await store.create_buttons(None, [ButtonSpec("suno_extend", "Extend")])
    assert (await store.claim_button(button.key, stale_after_s=600)).won
    assert not (await store.claim_button(button.key, stale_after_s=600)).won
    await store.release_button(button.key)
    assert (await store.claim_button(button.key, stale_after_s=600)).won
    advance(601)  # its process died while it was asking a question
    assert (await store.claim_button(button.key, stale_after_s=600)).won
