"""Exactly-once delivery of finished jobs, the named leases, and taking over, on SQLite.

Delivery is a lease: ``claim_delivery`` is one conditional ``UPDATE`` (compare-and-set on the
state and the lease expiry), so whichever worker's statement lands first wins and the rest see
zero changed rows. Polling takes no per-job lease: one process polls, holding the named lease of
``claim_lease``. "Now" is the store's clock.
Each delivered piece is appended to ``delivered_refs`` and counted in ``pieces_sent`` under the
same claim check, so a resumed delivery knows where to go on.
The named leases and taking over live here with the delivery lease: each is a holder and
an expiry, compared on one clock, that lets several processes share the work.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import partial

from bot.store import rows
from bot.store.records import OUTCOME_STATES, DueDelivery, Job
from bot.store.rows import Clock, due_delivery_sql
from bot.store.sqlite.db import Database, execute, fetch_one, placeholders

_OUTCOMES = tuple(sorted(OUTCOME_STATES))
_CLAIM_DELIVERY = f"""
    UPDATE jobs SET state = 'delivering', delivery_worker = ?,
        delivery_lease_until = ?, delivery_attempts = delivery_attempts + 1,
        updated_at = ?
    WHERE id = ? AND (state IN ({placeholders(len(_OUTCOMES))})
        OR (state = 'delivering' AND delivery_lease_until <= ?))
    RETURNING *
"""


def claimed_row(
    job_id: int, worker_id: str, lease_s: float, now: float, conn: sqlite3.Connection
) -> sqlite3.Row | None:
    """The delivery claim's compare-and-set on the connection thread: the claimed row, or
    None when another worker holds it or it was delivered (also used inside the
    transaction that stores a result's buttons with its claim)."""
    return fetch_one(conn, _CLAIM_DELIVERY, (worker_id, now + lease_s, now, job_id,
                                             *_OUTCOMES, now))


def _appended(count: int) -> str:
    """SQL for ``delivered_refs`` with ``count`` bound refs appended, in order (the edits
    of one ``json_insert`` apply left to right, so each ``$[#]`` is the new end)."""
    if count == 0:
        return "delivered_refs"
    pairs = ", '$[#]', ?" * count
    return f"json_insert(delivered_refs{pairs})"


class SqliteDeliveries:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # -- delivery ------------------------------------------------------------------------
    async def list_due_deliveries(self, *, limit: int = 100) -> list[Job]:
        found = await self._db.fetch_all(
            f"""
            SELECT * FROM jobs INDEXED BY jobs_due_for_delivery
            WHERE {due_delivery_sql("?")}
            ORDER BY finished_at, id LIMIT ?
            """,
            (self._clock(), limit),
        )
        return [rows.job(row) for row in found]

    async def list_due_delivery_ids(self, *, limit: int = 100) -> list[DueDelivery]:
        found = await self._db.fetch_all(
            f"""
            SELECT id, platform FROM jobs INDEXED BY jobs_due_for_delivery
            WHERE {due_delivery_sql("?")}
            ORDER BY finished_at, id LIMIT ?
            """,
            (self._clock(), limit),
        )
        return [DueDelivery(row["id"], row["platform"]) for row in found]

    async def claim_delivery(self, job_id: int, worker_id: str, lease_s: float) -> Job | None:
        row = await self._db.run(partial(claimed_row, job_id, worker_id, lease_s,
                                         self._clock()))
        return rows.job(row) if row is not None else None

    async def finish_delivery(
        self, job_id: int, worker_id: str, message_refs: Sequence[str] = ()
    ) -> bool:
        now = self._clock()
        changed = await self._db.execute(
            f"""
            UPDATE jobs SET state = 'delivered', delivered_at = ?,
                delivered_refs = {_appended(len(message_refs))},
                delivery_lease_until = NULL, updated_at = ?
            WHERE id = ? AND state = 'delivering' AND delivery_worker = ?
            """,
            (now, *message_refs, now, job_id, worker_id),
        )
        return changed == 1

    async def record_delivered_piece(
        self, job_id: int, worker_id: str, message_ref: str, lease_s: float
    ) -> bool:
        now = self._clock()
        changed = await self._db.execute(
            f"""
            UPDATE jobs SET delivered_refs = {_appended(1)}, pieces_sent = pieces_sent + 1,
                delivery_lease_until = ?, updated_at = ?
            WHERE id = ? AND state = 'delivering' AND delivery_worker = ?
            """,
            (message_ref, now + lease_s, now, job_id, worker_id),
        )
        return changed == 1

    async def release_delivery(self, job_id: int, worker_id: str) -> bool:
        changed = await self._db.execute(
            """
            UPDATE jobs SET state = outcome, delivery_worker = NULL,
                delivery_lease_until = NULL, updated_at = ?
            WHERE id = ? AND state = 'delivering' AND delivery_worker = ?
            """,
            (self._clock(), job_id, worker_id),
        )
        return changed == 1

    # -- taking over a gone process's work -----------------------------------------------
    async def workers_with_prefix(self, prefix: str) -> list[str]:
        found = await self._db.fetch_all(
            """
            SELECT DISTINCT delivery_worker AS worker FROM jobs
            WHERE state = 'delivering' AND substr(delivery_worker, 1, ?) = ?
            UNION
            SELECT DISTINCT submit_worker FROM jobs
            WHERE state = 'submitting' AND substr(submit_worker, 1, ?) = ?
            """,
            (len(prefix), prefix, len(prefix), prefix),
        )
        return sorted(str(row["worker"]) for row in found)

    async def take_over(self, worker_id: str) -> int:
        now = self._clock()

        def take(conn: sqlite3.Connection) -> int:
            leases = execute(
                conn,
                "UPDATE jobs SET delivery_lease_until = ?, updated_at = ?"
                " WHERE state = 'delivering' AND delivery_worker = ?",
                (now, now, worker_id),
            )
            submits = execute(
                conn,
                "UPDATE jobs SET next_poll_at = ?, updated_at = ?"
                " WHERE state = 'submitting' AND submit_worker = ?",
                (now, now, worker_id),
            )
            return max(0, leases) + max(0, submits)

        return await self._db.write(take)

    # -- named leases --------------------------------------------------------------------
    async def claim_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        now = self._clock()
        changed = await self._db.execute(
            """
            INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
            WHERE leases.holder = excluded.holder OR leases.until <= ?
            """,
            (name, holder, now + ttl_s, now),
        )
        return changed == 1

    async def release_lease(self, name: str, holder: str) -> bool:
        changed = await self._db.execute(
            "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)
        )
        return changed == 1
