"""Contract: several processes sharing one database take each job once.

Named leases (``claim_lease``: the tracker's one poller), the compare-and-set on a job's
status message, and that leases come from the database's clock, not
from each process's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from bot.config import Secret
from bot.config_storage import StorageConfig
from bot.store import open_store
from bot.store.base import Job, JobState, Store
from tests.store.conftest import OpenStore

LEASE_S = 30.0


async def _job(store: Store, n: int, **fields: object) -> Job:
    return await store.create_job(
        kind="mj",
        platform="discord",
        user_id="u1",
        chat_id="c1",
        relay_task_id=f"task-{n}",
        **fields,  # type: ignore[arg-type]
    )


async def test_an_empty_only_from_never_applies(store: Store) -> None:
    job = await _job(store, 1)
    assert await store.update_job(job.id, only_from=[], state=JobState.FAILED) is None
    assert await store.update_job(job.id, only_from=(), progress=50) is None
    assert await store.get_job(job.id) == job


async def test_the_status_message_is_replaced_only_from_the_stored_one(
    open_store: OpenStore,
) -> None:
    first, second = await open_store(), await open_store()
    job = await _job(first, 1, status_message_ref="tg:c1:10")

    won = await asyncio.gather(
        first.replace_status_message(job.id, expected="tg:c1:10", new="tg:c1:11"),
        second.replace_status_message(job.id, expected="tg:c1:10", new="tg:c1:12"),
    )

    assert sorted(won) == [False, True]
    current = await second.get_job(job.id)
    assert current is not None
    assert current.status_message_ref == ("tg:c1:11" if won[0] else "tg:c1:12")
    bare = await _job(first, 2)
    assert not await first.replace_status_message(bare.id, expected="tg:c1:10", new="x")
    assert await first.replace_status_message(bare.id, expected=None, new="tg:c1:20")


async def _database_now(url: str) -> float:
    conn = await asyncpg.connect(url)
    try:
        return float(await conn.fetchval("SELECT extract(epoch FROM now())::float8"))
    finally:
        await conn.close()


async def test_postgres_leases_follow_the_database_clock_not_the_process_clock(
    postgres_url: str,
) -> None:
    # No clock injected: "now" is the server's. The process clock is not consulted at all,
    # so a process whose clock is hours off still takes and honours leases correctly.
    store = await open_store(StorageConfig(url=Secret(postgres_url), pool_size=2))
    try:
        before = await _database_now(postgres_url)
        due = await _job(store, 1)
        assert before <= due.created_at <= before + 60

        await store.update_job(due.id, state=JobState.SUCCEEDED)
        assert await store.claim_delivery(due.id, "worker-a", lease_s=LEASE_S)
        delivering = await store.get_job(due.id)
        assert delivering is not None and delivering.delivery_lease_until is not None
        assert before + LEASE_S <= delivering.delivery_lease_until
        assert delivering.delivery_lease_until <= await _database_now(postgres_url) + LEASE_S
        assert not await store.claim_delivery(due.id, "worker-b", lease_s=LEASE_S)
    finally:
        await store.close()


async def test_a_lease_has_one_holder_until_it_expires_or_is_released(
    store: Store, advance: Callable[[float], None]
) -> None:
    assert await store.claim_lease("job-poller", "a", 9)
    assert not await store.claim_lease("job-poller", "b", 9)
    assert await store.claim_lease("other", "b", 9), "leases are independent"
    advance(5)
    assert await store.claim_lease("job-poller", "a", 9), "the holder renews"
    advance(8)
    assert not await store.claim_lease("job-poller", "b", 9), "renewed: still held"
    advance(1)
    assert await store.claim_lease("job-poller", "b", 9), "expired: taken over"
    assert not await store.release_lease("job-poller", "a")
    assert await store.release_lease("job-poller", "b")
    assert await store.claim_lease("job-poller", "a", 9), "released: free at once"
