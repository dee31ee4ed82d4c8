"""Review findings in the SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store.base import JobState
from bot.store.sqlite import SqliteStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    async with await SqliteStore.open(tmp_path / "review.db", clock=lambda: 1000.0) as opened:
        yield opened


async def _delivered_job(store: SqliteStore) -> int:
    job = await store.create_job(
        kind="mj", platform="telegram", user_id="7", chat_id="7", relay_task_id="1730"
    )
    await store.update_job(job.id, state=JobState.SUCCEEDED)
    assert await store.claim_delivery(job.id, "worker-a", 60)
    assert await store.finish_delivery(job.id, "worker-a", ["msg-1"])
    return job.id


async def test_a_late_state_update_cannot_make_a_delivered_job_due_again(
    store: SqliteStore,
) -> None:
    # A caller that forgets only_from (a late notifyHook callback, a second poller) used
    # to move a DELIVERED job back to SUCCEEDED, so list_due_deliveries handed it out
    # again and the user got the result twice.
    job_id = await _delivered_job(store)
    assert await store.update_job(job_id, state=JobState.SUCCEEDED) is None
    job = await store.get_job(job_id)
    assert job is not None and job.state is JobState.DELIVERED
    assert await store.list_due_deliveries() == []


async def test_a_state_update_cannot_steal_a_held_delivery(store: SqliteStore) -> None:
    job = await store.create_job(kind="mj", platform="telegram", user_id="7", chat_id="7")
    await store.update_job(job.id, state=JobState.SUCCEEDED)
    assert await store.claim_delivery(job.id, "worker-a", 60)
    assert await store.update_job(job.id, state=JobState.FAILED, error="late") is None
    assert await store.finish_delivery(job.id, "worker-a", ["msg-1"])


async def test_non_state_fields_of_a_delivered_job_can_still_change(
    store: SqliteStore,
) -> None:
    job_id = await _delivered_job(store)
    updated = await store.update_job(job_id, status_message_ref="telegram:7:99")
    assert updated is not None and updated.state is JobState.DELIVERED
    assert updated.status_message_ref == "telegram:7:99"
