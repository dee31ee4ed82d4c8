"""Exactly-once delivery of finished jobs, the named leases, and taking over, on PostgreSQL.

Every lease is computed from the database's clock (see ``bot.store.postgres.db``), so
processes on machines whose clocks disagree still agree on when a lease ran out.
Jobs are never leased one by one for polling: one process polls, holding the named lease of
``claim_lease``, so its Midjourney batches stay whole. ``claim_delivery`` is one conditional
``UPDATE``: a second claimer waits for the first one's row lock, re-checks the condition on the
updated row and changes nothing. Each delivered piece is appended to ``delivered_refs``
(JSON text, concatenated as ``jsonb``) and counted in ``pieces_sent`` under the same claim check.
The named leases and taking over live here with the delivery lease: each is a holder and
an expiry, compared on one clock, that lets several processes share the work.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.store import rows
from bot.store.postgres.db import PgDatabase, now_sql
from bot.store.records import OUTCOME_STATES, DueDelivery, Job
from bot.store.rows import due_delivery_sql, dump_json

_OUTCOMES = sorted(OUTCOME_STATES)
# The delivery claim's compare-and-set (also run inside the transaction that stores a
# result's buttons with its claim): parameters from :func:`claim_params`.
CLAIM_DELIVERY_SQL = f"""
    UPDATE jobs SET state = 'delivering', delivery_worker = $2,
        delivery_lease_until = {now_sql(4)} + $3,
        delivery_attempts = delivery_attempts + 1, updated_at = {now_sql(4)}
    WHERE id = $1 AND (state = ANY($5::text[])
        OR (state = 'delivering' AND delivery_lease_until <= {now_sql(4)}))
    RETURNING *
"""


def claim_params(
    job_id: int, worker_id: str, lease_s: float, now: float | None
) -> tuple[object, ...]:
    return (job_id, worker_id, lease_s, now, _OUTCOMES)


class PgDeliveries:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    # -- delivery ------------------------------------------------------------------------
    async def list_due_deliveries(self, *, limit: int = 100) -> list[Job]:
        found = await self._db.fetch_all(
            f"""
            SELECT * FROM jobs WHERE {due_delivery_sql(now_sql(1))}
            ORDER BY finished_at, id LIMIT $2
            """,
            (self._db.now(), limit),
        )
        return [rows.job(row) for row in found]

    async def list_due_delivery_ids(self, *, limit: int = 100) -> list[DueDelivery]:
        found = await self._db.fetch_all(
            f"""
            SELECT id, platform FROM jobs WHERE {due_delivery_sql(now_sql(1))}
            ORDER BY finished_at, id LIMIT $2
            """,
            (self._db.now(), limit),
        )
        return [DueDelivery(row["id"], row["platform"]) for row in found]

    async def claim_delivery(self, job_id: int, worker_id: str, lease_s: float) -> Job | None:
        row = await self._db.fetch_one(CLAIM_DELIVERY_SQL,
                                       claim_params(job_id, worker_id, lease_s, self._db.now()))
        return rows.job(row) if row is not None else None

    async def finish_delivery(
        self, job_id: int, worker_id: str, message_refs: Sequence[str] = ()
    ) -> bool:
        changed = await self._db.execute(
            f"""
            UPDATE jobs SET state = 'delivered', delivered_at = {now_sql(4)},
                delivered_refs = (delivered_refs::jsonb || $3::jsonb)::text,
                delivery_lease_until = NULL, updated_at = {now_sql(4)}
            WHERE id = $1 AND state = 'delivering' AND delivery_worker = $2
            """,
            (job_id, worker_id, dump_json(list(message_refs)), self._db.now()),
        )
        return changed == 1

    async def record_delivered_piece(
        self, job_id: int, worker_id: str, message_ref: str, lease_s: float
    ) -> bool:
        changed = await self._db.execute(
            f"""
            UPDATE jobs SET delivered_refs = (delivered_refs::jsonb || $3::jsonb)::text,
                pieces_sent = pieces_sent + 1, delivery_lease_until = {now_sql(4)} + $5,
                updated_at = {now_sql(4)}
            WHERE id = $1 AND state = 'delivering' AND delivery_worker = $2
            """,
            (job_id, worker_id, dump_json([message_ref]), self._db.now(), lease_s),
        )
        return changed == 1

    async def release_delivery(self, job_id: int, worker_id: str) -> bool:
        changed = await self._db.execute(
            f"""
            UPDATE jobs SET state = outcome, delivery_worker = NULL,
                delivery_lease_until = NULL, updated_at = {now_sql(3)}
            WHERE id = $1 AND state = 'delivering' AND delivery_worker = $2
            """,
            (job_id, worker_id, self._db.now()),
        )
        return changed == 1

    # -- taking over a gone process's work -----------------------------------------------
    async def workers_with_prefix(self, prefix: str) -> list[str]:
        found = await self._db.fetch_all(
            """
            SELECT DISTINCT delivery_worker AS worker FROM jobs
            WHERE state = 'delivering' AND left(delivery_worker, length($1)) = $1
            UNION
            SELECT DISTINCT submit_worker FROM jobs
            WHERE state = 'submitting' AND left(submit_worker, length($1)) = $1
            """,
            (prefix,),
        )
        return sorted(str(row["worker"]) for row in found)

    async def take_over(self, worker_id: str) -> int:
        async with self._db.transaction() as conn:
            leases = await conn.execute(
                f"UPDATE jobs SET delivery_lease_until = {now_sql(2)}, updated_at = {now_sql(2)}"
                " WHERE state = 'delivering' AND delivery_worker = $1",
                worker_id, self._db.now(),
            )
            submits = await conn.execute(
                f"UPDATE jobs SET next_poll_at = {now_sql(2)}, updated_at = {now_sql(2)}"
                " WHERE state = 'submitting' AND submit_worker = $1",
                worker_id, self._db.now(),
            )
        return sum(int(status.rsplit(" ", 1)[-1]) for status in (leases, submits))

    # -- named leases --------------------------------------------------------------------
    async def claim_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        changed = await self._db.execute(
            f"""
            INSERT INTO leases (name, holder, until) VALUES ($1, $2, {now_sql(4)} + $3)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
            WHERE leases.holder = excluded.holder OR leases.until <= {now_sql(4)}
            """,
            (name, holder, ttl_s, self._db.now()),
        )
        return changed == 1

    async def release_lease(self, name: str, holder: str) -> bool:
        changed = await self._db.execute(
            "DELETE FROM leases WHERE name = $1 AND holder = $2", (name, holder)
        )
        return changed == 1
