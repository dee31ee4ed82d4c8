"""Contract: the job lifecycle and exactly-once delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.store.base import (
    ACTIVE_STATES,
    ButtonSpec,
    DuplicateJobError,
    Job,
    JobState,
    JobUpdate,
    Store,
    StoreError,
)
from bot.store.records import POLL_VIEW_COLUMNS

OpenStore = Callable[..., Awaitable[Store]]


async def _job(store: Store, relay_task_id: str = "1712345678901", **fields: object) -> Job:
    return await store.create_job(
        kind="mj",
        platform="telegram",
        user_id="u1",
        chat_id="c1",
        thread_id="",
        request={"prompt": "a cat", "action": "IMAGINE"},
        relay_task_id=relay_task_id,
        relay_mode="FAST",
        **fields,  # type: ignore[arg-type]
    )


async def _finished(store: Store, relay_task_id: str) -> Job:
    job = await _job(store, relay_task_id)
    done = await store.update_job(job.id, state=JobState.SUCCEEDED, result={"url": "u"})
    assert done is not None
    return done


async def test_job_lifecycle_from_submit_to_delivery(
    store: Store, advance: Callable[[float], None]
) -> None:
    job = await _job(store, deadline=10_000.0, status_message_ref="tg:c1:55")
    assert job.state is JobState.SUBMITTED and job.is_active
    assert (job.progress, job.outcome, job.finished_at) == (0, None, None)
    assert job.next_poll_at == job.created_at == job.updated_at
    assert await store.get_job(job.id) == job
    assert await store.get_job_by_relay_id("mj", "1712345678901") == job
    assert await store.get_job_by_relay_id("suno", "1712345678901") is None

    advance(5)
    running = await store.update_job(
        job.id,
        state=JobState.RUNNING,
        progress=40,
        progress_text="40%",
        preview_url="https://cdn/preview.webp",
        next_poll_at=job.created_at + 10,
    )
    assert running is not None
    assert (running.state, running.progress, running.progress_text) == (
        JobState.RUNNING,
        40,
        "40%",
    )
    assert running.updated_at == job.created_at + 5
    assert running.status_message_ref == "tg:c1:55" and running.request == job.request

    advance(5)
    done = await store.update_job(
        job.id,
        only_from=ACTIVE_STATES,
        state=JobState.SUCCEEDED,
        progress=100,
        result={"imageUrl": "https://cdn/grid.png", "buttons": [{"customId": "MJ::U1"}]},
    )
    assert done is not None and not done.is_active
    assert (done.outcome, done.finished_at) == (JobState.SUCCEEDED, job.created_at + 10)
    assert await store.list_active_jobs() == []
    assert [j.id for j in await store.list_due_deliveries()] == [job.id]

    assert await store.claim_delivery(job.id, "worker-a", lease_s=30)
    assert await store.list_due_deliveries() == []
    assert await store.finish_delivery(job.id, "worker-a", ["tg:c1:56", "tg:c1:57"])
    delivered = await store.get_job(job.id)
    assert delivered is not None
    assert delivered.state is JobState.DELIVERED
    assert delivered.outcome is JobState.SUCCEEDED
    assert delivered.delivered_refs == ("tg:c1:56", "tg:c1:57")
    assert delivered.delivery_attempts == 1
    assert not await store.claim_delivery(job.id, "worker-b", lease_s=30)


async def test_a_stale_poll_cannot_overwrite_a_finished_job(store: Store) -> None:
    job = await _job(store)
    await store.update_job(job.id, state=JobState.FAILED, error="banned prompt")
    stale = await store.update_job(
        job.id, only_from=ACTIVE_STATES, state=JobState.RUNNING, progress=60
    )
    assert stale is None
    current = await store.get_job(job.id)
    assert current is not None
    assert (current.state, current.error, current.progress) == (
        JobState.FAILED,
        "banned prompt",
        0,
    )
    assert await store.update_job(job.id + 999, progress=1) is None


async def test_finished_at_records_the_first_outcome_only(
    store: Store, advance: Callable[[float], None]
) -> None:
    job = await _job(store)
    first = await store.update_job(job.id, state=JobState.TIMED_OUT)
    advance(30)
    second = await store.update_job(job.id, state=JobState.FAILED, error="late failure")
    assert first is not None and second is not None
    assert second.finished_at == first.finished_at == job.created_at
    assert second.outcome is JobState.FAILED


async def test_update_refuses_delivery_states_and_bad_progress(store: Store) -> None:
    job = await _job(store)
    with pytest.raises(ValueError):
        await store.update_job(job.id, state=JobState.DELIVERED)
    with pytest.raises(ValueError):
        await store.update_job(job.id, progress=101)
    with pytest.raises(ValueError):
        await store.create_job(
            kind="mj", platform="p", user_id="u", chat_id="c", state=JobState.SUCCEEDED
        )


async def test_list_active_orders_by_next_poll_and_honours_limit_and_due(
    store: Store, clock: Callable[[], float]
) -> None:
    now = clock()
    late = await _job(store, "r1", next_poll_at=now + 30)
    soon = await _job(store, "r2", next_poll_at=now + 10)
    modal = await _job(store, "r3", next_poll_at=now + 20, state=JobState.MODAL)
    finished = await _job(store, "r4", next_poll_at=now)
    await store.update_job(finished.id, state=JobState.CANCELLED)

    assert [j.id for j in await store.list_active_jobs()] == [soon.id, modal.id, late.id]
    assert [j.id for j in await store.list_active_jobs(limit=2)] == [soon.id, modal.id]
    due = await store.list_active_jobs(due_before=now + 20)
    assert [j.id for j in due] == [soon.id, modal.id]


async def test_a_tick_lists_only_the_jobs_it_may_ask_about_or_time_out(
    store: Store, clock: Callable[[], float], advance: Callable[[float], None]
) -> None:
    far = clock() + 10_000
    old_seen = await _job(store, "r1", deadline=far, next_poll_at=clock() + 10)
    old_late = await _job(store, "r2", deadline=clock() + 50, next_poll_at=clock() + 10)
    old_no_deadline = await _job(store, "r3", next_poll_at=clock() + 10)
    unsubmitted = await store.create_job(kind="mj", platform="telegram", user_id="u1",
                                         chat_id="c1", deadline=far, next_poll_at=clock() + 10)
    advance(100)
    created_after = clock() - 1
    young_seen = await _job(store, "r4", deadline=far, next_poll_at=clock() + 10)
    never_seen = await _job(store, "r5", deadline=far, next_poll_at=0.0)
    finished = await _job(store, "r6", deadline=clock())
    await store.update_job(finished.id, state=JobState.FAILED)
    lost = await store.create_job(kind="mj", platform="telegram", user_id="u1", chat_id="c1",
                                  state=JobState.SUBMITTING, next_poll_at=clock() - 1,
                                  submit_tag="lost", deadline=far)
    await store.create_job(kind="mj", platform="telegram", user_id="u1", chat_id="c1",
                           state=JobState.SUBMITTING, next_poll_at=clock() + 60,
                           submit_tag="in-flight", deadline=0.0)
    advance(1)
    now = clock()

    by_age = await store.list_tick_jobs(now=now, created_after=created_after, limit=100)
    assert {j.id for j in by_age} == {
        old_late.id, old_no_deadline.id, young_seen.id, never_seen.id, lost.id}
    every = await store.list_tick_jobs(now=now, created_after=None, limit=100)
    assert {j.id for j in every} == {j.id for j in by_age} | {old_seen.id}
    assert [j.id for j in every] == [j.id for j in sorted(every, key=lambda j: (
        j.next_poll_at, j.id))]
    assert len(await store.list_tick_jobs(now=now, created_after=None, limit=2)) == 2
    assert unsubmitted.id not in {j.id for j in every}

    (view,) = [j for j in every if j.id == young_seen.id]
    (whole,) = await store.get_jobs([young_seen.id])
    assert {name: getattr(whole, name) for name in POLL_VIEW_COLUMNS} == {
        name: getattr(view, name) for name in POLL_VIEW_COLUMNS}
    found = await store.get_jobs([lost.id, old_seen.id, 999_999, lost.id])
    assert [j.id for j in found] == sorted([old_seen.id, lost.id])
    assert found[1].request is None and found[0].request == {"prompt": "a cat",
                                                               "action": "IMAGINE"}


async def test_list_for_owner_is_newest_first(
    store: Store, advance: Callable[[float], None]
) -> None:
    ids = []
    for n in range(4):
        ids.append((await _job(store, f"r{n}")).id)
        advance(1)
    await store.create_job(kind="suno", platform="telegram", user_id="someone", chat_id="c1")
    await store.create_job(kind="luma", platform="discord", user_id="u1", chat_id="c1")

    mine = await store.list_jobs_for_owner("telegram", "u1", limit=3)
    assert [j.id for j in mine] == ids[::-1][:3]


async def test_relay_task_ids_are_unique_per_kind(store: Store) -> None:
    await _job(store, "same")
    other_kind = await store.create_job(
        kind="suno", platform="telegram", user_id="u1", chat_id="c1", relay_task_id="same"
    )
    assert other_kind.relay_task_id == "same"
    with pytest.raises(DuplicateJobError):
        await _job(store, "same")
    third = await _job(store, "third")
    with pytest.raises(DuplicateJobError):
        await store.update_job(third.id, relay_task_id="same")
    await store.update_job(other_kind.id, relay_task_id="other")
    assert [j.relay_task_id for j in await store.list_active_jobs()] == ["same", "other", "third"]


async def test_exactly_one_of_two_processes_claims_each_delivery(
    open_store: OpenStore,
) -> None:
    first, second = await open_store(), await open_store()
    jobs = [await _finished(first, f"race{n}") for n in range(20)]

    for job in jobs:
        won = await asyncio.gather(
            first.claim_delivery(job.id, "worker-a", 30),
            second.claim_delivery(job.id, "worker-b", 30),
            first.claim_delivery(job.id, "worker-c", 30),
        )
        (winner,) = [claim for claim in won if claim is not None]
        assert won.count(None) == 2
        claimed = await second.get_job(job.id)
        assert claimed == winner and claimed.delivery_attempts == 1
        assert claimed.delivery_worker == ["worker-a", "worker-b", "worker-c"][won.index(winner)]


async def test_an_expired_lease_can_be_reclaimed_and_the_old_holder_loses(
    open_store: OpenStore, advance: Callable[[float], None]
) -> None:
    first, second = await open_store(), await open_store()
    job = await _finished(first, "lease")

    assert await first.claim_delivery(job.id, "worker-a", lease_s=30)
    advance(29)
    assert not await second.claim_delivery(job.id, "worker-b", lease_s=30)
    assert await second.list_due_deliveries() == []

    advance(1)
    assert [j.id for j in await second.list_due_deliveries()] == [job.id]
    assert await second.claim_delivery(job.id, "worker-b", lease_s=30)
    assert not await first.finish_delivery(job.id, "worker-a", ["dup"])
    assert await second.finish_delivery(job.id, "worker-b", ["msg"])

    delivered = await first.get_job(job.id)
    assert delivered is not None
    assert (delivered.state, delivered.delivered_refs, delivered.delivery_attempts) == (
        JobState.DELIVERED,
        ("msg",),
        2,
    )


async def test_an_expired_but_unclaimed_lease_still_finishes(
    store: Store, advance: Callable[[float], None]
) -> None:
    job = await _finished(store, "slow")
    assert await store.claim_delivery(job.id, "worker-a", lease_s=5)
    advance(60)
    assert await store.finish_delivery(job.id, "worker-a")


async def test_due_delivery_ids_name_the_due_jobs_in_delivery_order(
    store: Store, advance: Callable[[float], None]
) -> None:
    first = await _finished(store, "ids1")
    advance(1)
    failed = await _job(store, "ids2")
    await store.update_job(failed.id, state=JobState.FAILED, error="relay said no")
    advance(1)
    lapsed = await _finished(store, "ids3")
    await _job(store, "ids4")  # still running: not due
    assert await store.claim_delivery(lapsed.id, "worker-a", lease_s=30)
    assert await store.claim_delivery(first.id, "worker-a", lease_s=60)

    assert [d.job_id for d in await store.list_due_delivery_ids()] == [failed.id]
    advance(30)  # lapsed's claim runs out, first's does not
    due = await store.list_due_delivery_ids()
    assert [(d.job_id, d.platform) for d in due] == [(failed.id, "telegram"),
                                                     (lapsed.id, "telegram")]
    assert [d.job_id for d in due] == [j.id for j in await store.list_due_deliveries()]
    assert [d.job_id for d in await store.list_due_delivery_ids(limit=1)] == [failed.id]


async def test_released_delivery_is_due_again_with_its_outcome(store: Store) -> None:
    job = await _job(store)
    await store.update_job(job.id, state=JobState.FAILED, error="relay said no")
    assert await store.claim_delivery(job.id, "worker-a", lease_s=30)
    assert not await store.release_delivery(job.id, "worker-b")
    assert await store.release_delivery(job.id, "worker-a")

    due = await store.list_due_deliveries()
    assert [(j.id, j.state, j.delivery_worker) for j in due] == [(job.id, JobState.FAILED, None)]
    assert await store.claim_delivery(job.id, "worker-b", lease_s=30)


async def test_jobs_survive_a_restart(open_store: OpenStore) -> None:
    first = await open_store()
    job = await _job(first)
    await first.update_job(job.id, state=JobState.RUNNING, progress=55)
    await first.close()

    second = await open_store()
    assert [(j.id, j.progress) for j in await second.list_active_jobs()] == [(job.id, 55)]


async def _delivered_job(store: Store) -> int:
    job = await store.create_job(
        kind="mj", platform="telegram", user_id="7", chat_id="7", relay_task_id="1730"
    )
    await store.update_job(job.id, state=JobState.SUCCEEDED)
    assert await store.claim_delivery(job.id, "worker-a", 60)
    assert await store.finish_delivery(job.id, "worker-a", ["msg-1"])
    return job.id


async def test_a_late_state_update_cannot_make_a_delivered_job_due_again(
    store: Store,
) -> None:
    # A caller that forgets only_from (a late notifyHook callback, a second poller) used
    # to move a DELIVERED job back to SUCCEEDED, so list_due_deliveries handed it out
    # again and the user got the result twice.
    job_id = await _delivered_job(store)
    assert await store.update_job(job_id, state=JobState.SUCCEEDED) is None
    job = await store.get_job(job_id)
    assert job is not None and job.state is JobState.DELIVERED
    assert await store.list_due_deliveries() == []


async def test_a_state_update_cannot_steal_a_held_delivery(store: Store) -> None:
    job = await store.create_job(kind="mj", platform="telegram", user_id="7", chat_id="7")
    await store.update_job(job.id, state=JobState.SUCCEEDED)
    assert await store.claim_delivery(job.id, "worker-a", 60)
    assert await store.update_job(job.id, state=JobState.FAILED, error="late") is None
    assert await store.finish_delivery(job.id, "worker-a", ["msg-1"])


async def test_non_state_fields_of_a_delivered_job_can_still_change(
    store: Store,
) -> None:
    job_id = await _delivered_job(store)
    updated = await store.update_job(job_id, status_message_ref="telegram:7:99")
    assert updated is not None and updated.state is JobState.DELIVERED
    assert updated.status_message_ref == "telegram:7:99"


async def test_a_tick_of_updates_lands_in_one_batch_only_on_active_jobs(
    store: Store, advance: Callable[[float], None]
) -> None:
    running = await _job(store, "r1")
    finishing = await _job(store, "r2")
    delivered = await _finished(store, "r3")
    assert await store.claim_delivery(delivered.id, "w1", 60)
    advance(3)
    applied = await store.apply_job_updates([
        JobUpdate(running.id, JobState.RUNNING, 40, "IN_PROGRESS", preview_url="p1",
                  next_poll_at=running.created_at + 6, deadline=running.created_at + 900),
        JobUpdate(finishing.id, JobState.SUCCEEDED, 100, "SUCCESS", result={"url": "u"}),
        JobUpdate(delivered.id, JobState.FAILED, 100, "FAILURE", error="late"),  # CAS miss
    ])
    by_id = {job.id: job for job in applied}
    assert sorted(by_id) == [running.id, finishing.id]
    now_running = by_id[running.id]
    assert (now_running.state, now_running.progress, now_running.preview_url) == (
        JobState.RUNNING, 40, "p1")
    assert now_running.deadline == running.created_at + 900
    assert now_running.outcome is None and now_running.finished_at is None
    done = by_id[finishing.id]
    assert (done.state, done.outcome, done.result) == (JobState.SUCCEEDED, JobState.SUCCEEDED,
                                                        {"url": "u"})
    assert done.finished_at == done.updated_at
    untouched = await store.get_job(delivered.id)
    assert untouched is not None and untouched.state is JobState.DELIVERING
    # None leaves a stored value alone; the always-written fields are written.
    advance(3)
    (again,) = await store.apply_job_updates(
        [JobUpdate(running.id, JobState.RUNNING, 41, "IN_PROGRESS")])
    assert (again.progress, again.preview_url, again.deadline) == (41, "p1", now_running.deadline)
    assert await store.apply_job_updates([]) == []
    with pytest.raises(ValueError):
        await store.apply_job_updates([JobUpdate(running.id, JobState.DELIVERED, 100, "x")])



async def test_the_winning_claim_hands_back_the_row_with_the_pieces_already_sent(
    store: Store, advance: Callable[[float], None]
) -> None:
    done = await _finished(store, "r1")
    first = await store.claim_delivery(done.id, "worker-a", lease_s=30)
    assert first is not None
    assert (first.id, first.state, first.outcome) == (done.id, JobState.DELIVERING,
                                                      JobState.SUCCEEDED)
    assert (first.delivery_worker, first.delivery_attempts) == ("worker-a", 1)
    assert first.result == {"url": "u"} and first.request == done.request
    assert await store.record_delivered_piece(done.id, "worker-a", "tg:c1:60", 30)
    assert await store.claim_delivery(done.id, "worker-b", lease_s=30) is None

    advance(31)  # worker-a stopped halfway: the next claim sees what it sent
    second = await store.claim_delivery(done.id, "worker-b", lease_s=30)
    assert second is not None
    assert (second.delivery_worker, second.delivery_attempts) == ("worker-b", 2)
    assert (second.delivered_refs, second.pieces_sent) == (("tg:c1:60",), 1)
    assert second == await store.get_job(done.id)


async def test_running_jobs_are_counted_per_owner(store: Store) -> None:
    assert await store.count_active_jobs("telegram", "u1") == 0
    await _job(store, "r1")
    await _job(store, "r2", state=JobState.SUBMITTING, submit_tag="t2")
    await _finished(store, "r3")
    await store.create_job(kind="mj", platform="telegram", user_id="u2", chat_id="c1")
    await store.create_job(kind="mj", platform="discord", user_id="u1", chat_id="c1")
    assert await store.count_active_jobs("telegram", "u1") == 2
    assert await store.count_active_jobs("telegram", "u2") == 1
    assert await store.count_active_jobs("discord", "u1") == 1
    assert await store.count_active_jobs("telegram", "nobody") == 0


async def test_the_claim_stores_the_results_buttons_only_for_its_winner(
    open_store: OpenStore, advance: Callable[[float], None]
) -> None:
    first, second = await open_store(), await open_store()
    done = await _finished(first, "with-buttons")
    specs = [ButtonSpec("mj_action", label=f"U{n}", custom_id=f"MJ::JOB::upsample::{n}")
             for n in range(1, 5)]

    won = await asyncio.gather(
        first.claim_delivery_with_buttons(done.id, "worker-a", 30, specs),
        second.claim_delivery_with_buttons(done.id, "worker-b", 30, specs[:1]),
    )
    (winner,) = [claim for claim in won if claim is not None]
    job, keys = winner
    assert (job.state, job.outcome, job.delivery_attempts) == (JobState.DELIVERING,
                                                               JobState.SUCCEEDED, 1)
    assert job == await second.get_job(done.id)
    # Only the winner's buttons exist, each with its own key, in order, on the job.
    assert await first.buttons_for_job(done.id) == keys
    assert len(keys) == len(specs if won[0] is not None else specs[:1])
    assert [(k.label, k.position, k.job_id) for k in keys] == [
        (s.label, n, done.id) for n, s in enumerate(specs[:len(keys)])]
    assert [await second.get_button(k.key) for k in keys] == keys

    # The lease lapses mid-delivery: the next claim hands back the pieces sent and its
    # own buttons; the earlier ones (on a message already sent) stay valid.
    holder = job.delivery_worker
    assert holder is not None
    assert await first.record_delivered_piece(done.id, holder, "tg:c1:61", 30)
    advance(31)
    again = await second.claim_delivery_with_buttons(done.id, "worker-c", 30, specs[:2])
    assert again is not None
    resumed, more = again
    assert (resumed.pieces_sent, resumed.delivered_refs) == (1, ("tg:c1:61",))
    assert resumed.delivery_attempts == 2 and len(more) == 2
    assert await first.buttons_for_job(done.id) == [*keys, *more]


async def test_a_lost_claim_or_a_delivered_job_stores_no_buttons(store: Store) -> None:
    done = await _finished(store, "lost-claim")
    assert await store.claim_delivery(done.id, "worker-a", 30)
    specs = [ButtonSpec("mj_action", label="U1")]
    assert await store.claim_delivery_with_buttons(done.id, "worker-b", 30, specs) is None
    assert await store.finish_delivery(done.id, "worker-a", ["tg:c1:70"])
    assert await store.claim_delivery_with_buttons(done.id, "worker-b", 30, specs) is None
    running = await _job(store, "still-running")
    assert await store.claim_delivery_with_buttons(running.id, "worker-b", 30, specs) is None
    assert await store.buttons_for_job(done.id) == []
    assert await store.buttons_for_job(running.id) == []
    assert (await store.get_job(running.id)).state is JobState.SUBMITTED  # type: ignore[union-attr]


async def test_a_claim_whose_buttons_find_no_free_key_claims_nothing(
    open_store: OpenStore,
) -> None:
    store = await open_store(key_factory=lambda n: ["same"] * n)
    done = await _finished(store, "no-free-key")
    await store.create_buttons(done.id, [ButtonSpec("taken")])
    with pytest.raises(StoreError):
        await store.claim_delivery_with_buttons(done.id, "worker-a", 30, [ButtonSpec("b")])
    # Rolled back whole: still due, unclaimed, no new button; a plain claim still wins.
    assert [d.job_id for d in await store.list_due_delivery_ids()] == [done.id]
    assert [b.kind for b in await store.buttons_for_job(done.id)] == ["taken"]
    claimed = await store.claim_delivery(done.id, "worker-b", 30)
    assert claimed is not None and claimed.delivery_attempts == 1


async def test_a_claim_whose_button_key_collides_keeps_the_claim_and_the_order(
    open_store: OpenStore,
) -> None:
    # The keys the store gets, in order: the second batch's first key is already taken,
    # so that batch goes in again one button at a time, with fresh keys.
    source = iter(["taken", "taken", "k2", "k1", "k2"])
    store = await open_store(key_factory=lambda n: [next(source) for _ in range(n)])
    done = await _finished(store, "one-key-taken")
    (taken,) = await store.create_buttons(done.id, [ButtonSpec("earlier")])
    specs = [ButtonSpec("mj_action", label=f"U{n}", payload={"n": n}) for n in (1, 2)]
    claimed = await store.claim_delivery_with_buttons(done.id, "worker-a", 30, specs)
    assert claimed is not None
    job, keys = claimed
    assert (job.state, job.delivery_worker) == (JobState.DELIVERING, "worker-a")
    assert [(k.key, k.label, k.payload, k.position) for k in keys] == [
        ("k1", "U1", {"n": 1}, 0), ("k2", "U2", {"n": 2}, 1),
    ]  # fmt: skip
    assert await store.buttons_for_job(done.id) == [taken, *keys]
    assert await store.claim_delivery(done.id, "worker-b", 30) is None
