"""Button keys on PostgreSQL: short random keys, collisions retried inside one transaction.

``claim_button`` is one ``INSERT … ON CONFLICT DO UPDATE … WHERE``: a concurrent press waits
for the first one's row lock, re-checks the condition on the row it wrote and changes
nothing, so exactly one press wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.store import rows
from bot.store.postgres.db import PgDatabase, now_sql
from bot.store.postgres.deliveries import CLAIM_DELIVERY_SQL, claim_params
from bot.store.records import ButtonClaim, ButtonKey, ButtonSpec, Job, StoreError
from bot.store.rows import KeyFactory, checked_keys, dump_json

if TYPE_CHECKING:
    from bot.store.postgres.migrations import Connection

_KEY_ATTEMPTS = 8
_RETRYABLE_OUTCOMES = ["failed", "cancelled", "timed_out"]  # such a job frees its button


class PgButtons:
    def __init__(self, db: PgDatabase, key_factory: KeyFactory) -> None:
        self._db = db
        self._key_factory = key_factory

    async def create_buttons(
        self,
        job_id: int | None,
        buttons: Sequence[ButtonSpec],
        *,
        message_ref: str | None = None,
    ) -> list[ButtonKey]:
        if not buttons:
            return []
        async with self._db.transaction() as conn:
            return await self._create(conn, job_id, buttons, message_ref)

    async def claim_delivery_with_buttons(
        self, job_id: int, worker_id: str, lease_s: float, buttons: Sequence[ButtonSpec]
    ) -> tuple[Job, list[ButtonKey]] | None:
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                CLAIM_DELIVERY_SQL, *claim_params(job_id, worker_id, lease_s, self._db.now())
            )
            if row is None:
                return None  # nothing written: the buttons belong to the claim's winner
            keys = await self._create(conn, job_id, buttons, None) if buttons else []
        return rows.job(row), keys

    async def _create(
        self,
        conn: Connection,
        job_id: int | None,
        buttons: Sequence[ButtonSpec],
        message_ref: str | None,
    ) -> list[ButtonKey]:
        """Inside the caller's transaction: each button in order, retried with fresh keys."""
        created: list[ButtonKey] = []
        now = self._db.now()
        # The batch's keys first (side by side in the key index), fresh ones on a collision.
        batch = checked_keys(self._key_factory, len(buttons))
        for position, spec in enumerate(buttons):
            for attempt in range(_KEY_ATTEMPTS):
                key = batch[position] if attempt == 0 else checked_keys(self._key_factory, 1)[0]
                row = await conn.fetchrow(
                    f"""
                    INSERT INTO button_keys (key, job_id, position, kind, label, emoji,
                        custom_id, payload, message_ref, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, {now_sql(10)})
                    ON CONFLICT (key) DO NOTHING
                    RETURNING *
                    """,
                    key, job_id, position, spec.kind,
                    spec.label, spec.emoji, spec.custom_id, dump_json(spec.payload),
                    message_ref, now,
                )  # fmt: skip
                if row is not None:
                    created.append(rows.button(row))
                    break
            else:
                raise StoreError(f"no free button key after {_KEY_ATTEMPTS} attempts")
        return created

    async def get_button(self, key: str) -> ButtonKey | None:
        row = await self._db.fetch_one("SELECT * FROM button_keys WHERE key = $1", (key,))
        return rows.button(row) if row is not None else None

    async def buttons_for_job(self, job_id: int) -> list[ButtonKey]:
        found = await self._db.fetch_all(
            "SELECT * FROM button_keys WHERE job_id = $1 ORDER BY id", (job_id,)
        )
        return [rows.button(row) for row in found]

    # -- presses: one press, one action ---------------------------------------------------
    async def claim_button(self, key: str, *, stale_after_s: float) -> ButtonClaim:
        async with self._db.transaction() as conn:
            won = await conn.fetchval(
                f"""
                INSERT INTO button_presses (key, job_id, pressed_at)
                VALUES ($1, NULL, {now_sql(2)})
                ON CONFLICT (key) DO UPDATE SET job_id = NULL, pressed_at = excluded.pressed_at
                WHERE (button_presses.job_id IS NULL
                       AND button_presses.pressed_at <= {now_sql(2)} - $3)
                   OR EXISTS (SELECT 1 FROM jobs WHERE jobs.id = button_presses.job_id
                              AND jobs.outcome = ANY($4::text[]))
                RETURNING key
                """,
                key, self._db.now(), stale_after_s, _RETRYABLE_OUTCOMES,
            )
            if won is not None:
                return ButtonClaim(won=True, job_id=None)
            job_id = await conn.fetchval("SELECT job_id FROM button_presses WHERE key = $1", key)
        return ButtonClaim(won=False, job_id=job_id)

    async def attach_button_job(self, key: str, job_id: int | None) -> None:
        await self._db.execute(
            "UPDATE button_presses SET job_id = $2 WHERE key = $1", (key, job_id)
        )

    async def release_button(self, key: str) -> None:
        await self._db.execute(
            "DELETE FROM button_presses WHERE key = $1 AND job_id IS NULL", (key,)
        )
