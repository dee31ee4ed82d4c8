"""Button keys on SQLite: short random keys, collisions retried inside one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from bot.store import rows
from bot.store.records import ButtonKey, ButtonSpec, StoreError
from bot.store.rows import Clock, KeyFactory, checked_key, dump_json
from bot.store.sqlite.db import Database, tx_fetch_one

_KEY_ATTEMPTS = 8


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
        created: list[ButtonKey] = []
        async with self._db.transaction() as conn:
            for position, spec in enumerate(buttons):
                for _ in range(_KEY_ATTEMPTS):
                    key = checked_key(self._key_factory)
                    row = await tx_fetch_one(
                        conn,
                        """
                        INSERT INTO button_keys (key, job_id, position, kind, label, emoji,
                            custom_id, payload, message_ref, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (key) DO NOTHING
                        RETURNING *
                        """,
                        (
                            key, job_id, position, spec.kind, spec.label, spec.emoji,
                            spec.custom_id, dump_json(spec.payload), message_ref, now,
                        ),
                    )  # fmt: skip
                    if row is not None:
                        created.append(rows.button(row))
                        break
                else:
                    raise StoreError(f"no free button key after {_KEY_ATTEMPTS} attempts")
        return created

    async def get_button(self, key: str) -> ButtonKey | None:
        row = await self._db.fetch_one("SELECT * FROM button_keys WHERE key = ?", (key,))
        return rows.button(row) if row is not None else None

    async def buttons_for_job(self, job_id: int) -> list[ButtonKey]:
        found = await self._db.fetch_all(
            "SELECT * FROM button_keys WHERE job_id = ? ORDER BY id", (job_id,)
        )
        return [rows.button(row) for row in found]
