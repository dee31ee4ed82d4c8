"""Button keys on SQLite: short random keys, collisions retried inside one transaction.

A message's buttons get their keys together (``KeyFactory``): the default keys of one
batch share a random prefix, so they land in one place of the unique index.

``claim_button`` is one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` (an atomic
compare-and-set on the ``button_presses`` primary key): of any number of concurrent presses,
in one process or several sharing the file, exactly one gets a row back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import cache, partial

from bot.store import rows
from bot.store.records import ButtonClaim, ButtonKey, ButtonSpec, Job, StoreError
from bot.store.rows import Clock, KeyFactory, checked_keys, dump_json, load_json
from bot.store.sqlite.db import Database, fetch_one
from bot.store.sqlite.deliveries import claimed_row

_KEY_ATTEMPTS = 8
# A press whose job failed frees its button; so does one that never started a job.
RETRYABLE_OUTCOMES = ("failed", "cancelled", "timed_out")


@cache
def _insert_sql(count: int) -> str:
    return (
        "INSERT INTO button_keys (key, job_id, position, kind, label, emoji, custom_id,"
        " payload, message_ref, created_at) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * count)
    )


_INSERT_ONE_IF_FREE = f"{_insert_sql(1)} ON CONFLICT (key) DO NOTHING RETURNING key"


class SqliteButtons:
    def __init__(self, db: Database, clock: Clock, key_factory: KeyFactory) -> None:
        self._db = db
        self._clock = clock
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
        now = self._clock()
        return await self._db.write(partial(self._create, job_id, buttons, message_ref, now))

    async def claim_delivery_with_buttons(
        self, job_id: int, worker_id: str, lease_s: float, buttons: Sequence[ButtonSpec]
    ) -> tuple[Job, list[ButtonKey]] | None:
        now = self._clock()

        def claim(conn: sqlite3.Connection) -> tuple[sqlite3.Row, list[ButtonKey]] | None:
            row = claimed_row(job_id, worker_id, lease_s, now, conn)
            if row is None:
                return None  # nothing written: the buttons belong to the claim's winner
            return row, self._create(job_id, buttons, None, now, conn) if buttons else []

        claimed = await self._db.write(claim)
        if claimed is None:
            return None
        row, keys = claimed
        return rows.job(row), keys  # decoded on the event loop, as claim_delivery does

    def _create(
        self,
        job_id: int | None,
        buttons: Sequence[ButtonSpec],
        message_ref: str | None,
        now: float,
        conn: sqlite3.Connection,
    ) -> list[ButtonKey]:
        """On the connection thread, in one transaction. All buttons in one plain
        ``INSERT``; a key that collides (rare) fails that statement alone, which SQLite
        undoes whole while the transaction and anything it did before stay (the delivery's
        claim), and the buttons are then inserted one by one, each retried with fresh
        keys, in order (ids follow positions)."""
        batch, values = self._records(job_id, list(enumerate(buttons)), message_ref, now)
        try:
            conn.execute(_insert_sql(len(batch)), values)
        except sqlite3.IntegrityError:  # none of the batch went in
            return self._one_by_one(job_id, buttons, message_ref, now, conn)
        return batch

    def _one_by_one(
        self,
        job_id: int | None,
        buttons: Sequence[ButtonSpec],
        message_ref: str | None,
        now: float,
        conn: sqlite3.Connection,
    ) -> list[ButtonKey]:
        created: list[ButtonKey] = []
        for position, spec in enumerate(buttons):
            for _ in range(_KEY_ATTEMPTS):
                (button,), values = self._records(job_id, [(position, spec)], message_ref,
                                                  now)
                if fetch_one(conn, _INSERT_ONE_IF_FREE, values) is not None:
                    created.append(button)
                    break
            else:
                raise StoreError(f"no free button key after {_KEY_ATTEMPTS} attempts")
        return created

    def _records(
        self,
        job_id: int | None,
        buttons: Sequence[tuple[int, ButtonSpec]],
        message_ref: str | None,
        now: float,
    ) -> tuple[list[ButtonKey], list[object]]:
        """``(position, spec)`` pairs with fresh keys: the records as ``get_button`` will
        read them back (the payload through its JSON), and the ``INSERT``'s values."""
        keys = checked_keys(self._key_factory, len(buttons))
        records: list[ButtonKey] = []
        values: list[object] = []
        for key, (position, spec) in zip(keys, buttons, strict=True):
            payload = dump_json(spec.payload)
            values += [
                key, job_id, position, spec.kind, spec.label, spec.emoji, spec.custom_id,
                payload, message_ref, now,
            ]  # fmt: skip
            records.append(ButtonKey(
                key=key, job_id=job_id, position=position, kind=spec.kind, label=spec.label,
                emoji=spec.emoji, custom_id=spec.custom_id, payload=load_json(payload),
                message_ref=message_ref, created_at=now,
            ))  # fmt: skip
        return records, values

    async def get_button(self, key: str) -> ButtonKey | None:
        row = await self._db.fetch_one("SELECT * FROM button_keys WHERE key = ?", (key,))
        return rows.button(row) if row is not None else None

    async def buttons_for_job(self, job_id: int) -> list[ButtonKey]:
        found = await self._db.fetch_all(
            "SELECT * FROM button_keys WHERE job_id = ? ORDER BY id", (job_id,)
        )
        return [rows.button(row) for row in found]

    # -- presses: one press, one action ---------------------------------------------------
    async def claim_button(self, key: str, *, stale_after_s: float) -> ButtonClaim:
        now = self._clock()

        def claim(conn: sqlite3.Connection) -> ButtonClaim:
            won = fetch_one(
                conn,
                """
                INSERT INTO button_presses (key, job_id, pressed_at) VALUES (?, NULL, ?)
                ON CONFLICT (key) DO UPDATE SET job_id = NULL, pressed_at = excluded.pressed_at
                WHERE (button_presses.job_id IS NULL AND button_presses.pressed_at <= ?)
                   OR EXISTS (SELECT 1 FROM jobs WHERE jobs.id = button_presses.job_id
                              AND jobs.outcome IN (?, ?, ?))
                RETURNING key
                """,
                (key, now, now - stale_after_s, *RETRYABLE_OUTCOMES),
            )
            if won is not None:
                return ButtonClaim(won=True, job_id=None)
            row = fetch_one(conn, "SELECT job_id FROM button_presses WHERE key = ?", (key,))
            return ButtonClaim(won=False, job_id=row["job_id"] if row is not None else None)

        return await self._db.write(claim)

    async def attach_button_job(self, key: str, job_id: int | None) -> None:
        await self._db.execute(
            "UPDATE button_presses SET job_id = ? WHERE key = ?", (job_id, key)
        )

    async def release_button(self, key: str) -> None:
        await self._db.execute(
            "DELETE FROM button_presses WHERE key = ? AND job_id IS NULL", (key,)
        )
