"""Jobs, their exactly-once delivery and their button keys, on SQLite.

Delivery is a lease: ``claim_delivery`` is one conditional ``UPDATE`` (compare-and-set on the
state and the lease expiry), so whichever worker's statement lands first wins and the rest see
zero changed rows. The same statement works unchanged on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence

from bot.store.base import (
    ACTIVE_STATES,
    OUTCOME_STATES,
    ButtonKey,
    ButtonSpec,
    DuplicateJobError,
    Job,
    JobState,
    JsonValue,
    StoreError,
)
from bot.store.sqlite_db import (
    Database,
    Params,
    SqliteParts,
    dump_json,
    load_json,
    placeholders,
)

_KEY_ATTEMPTS = 8
_ACTIVE = tuple(sorted(ACTIVE_STATES))
_OUTCOMES = tuple(sorted(OUTCOME_STATES))


def _job(row: sqlite3.Row) -> Job:
    refs = load_json(row["delivered_refs"])
    return Job(
        id=row["id"],
        kind=row["kind"],
        relay_task_id=row["relay_task_id"],
        relay_mode=row["relay_mode"],
        relay_version=row["relay_version"],
        platform=row["platform"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        status_message_ref=row["status_message_ref"],
        state=JobState(row["state"]),
        outcome=JobState(row["outcome"]) if row["outcome"] is not None else None,
        progress=row["progress"],
        progress_text=row["progress_text"],
        preview_url=row["preview_url"],
        request=load_json(row["request"]),
        result=load_json(row["result"]),
        error=row["error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        finished_at=row["finished_at"],
        next_poll_at=row["next_poll_at"],
        deadline=row["deadline"],
        delivery_worker=row["delivery_worker"],
        delivery_lease_until=row["delivery_lease_until"],
        delivery_attempts=row["delivery_attempts"],
        delivered_at=row["delivered_at"],
        delivered_refs=tuple(str(ref) for ref in refs) if isinstance(refs, list) else (),
    )


def _button(row: sqlite3.Row) -> ButtonKey:
    return ButtonKey(
        key=row["key"],
        job_id=row["job_id"],
        position=row["position"],
        kind=row["kind"],
        label=row["label"],
        emoji=row["emoji"],
        custom_id=row["custom_id"],
        payload=load_json(row["payload"]),
        message_ref=row["message_ref"],
        created_at=row["created_at"],
    )


async def _fetch_job(
    db: Database, sql: str, params: Params, relay_task_id: str | None
) -> Job | None:
    try:
        row = await db.fetch_one(sql, params)
    except sqlite3.IntegrityError as error:
        if relay_task_id is not None and "relay_task_id" in str(error):
            raise DuplicateJobError(f"relay task {relay_task_id} is already tracked") from error
        raise
    return _job(row) if row is not None else None


def _check_progress(progress: int | None) -> None:
    if progress is not None and not 0 <= progress <= 100:
        raise ValueError(f"progress must be within 0..100, got {progress}")


class SqliteJobs(SqliteParts):
    # -- jobs ----------------------------------------------------------------------------
    async def create_job(
        self,
        *,
        kind: str,
        platform: str,
        user_id: str,
        chat_id: str,
        thread_id: str = "",
        request: JsonValue = None,
        relay_task_id: str | None = None,
        relay_mode: str | None = None,
        relay_version: str | None = None,
        status_message_ref: str | None = None,
        state: JobState = JobState.SUBMITTED,
        next_poll_at: float | None = None,
        deadline: float | None = None,
    ) -> Job:
        if state not in ACTIVE_STATES:
            raise ValueError(f"a new job must start in an active state, not {state}")
        now = self._clock()
        job = await _fetch_job(
            self._db,
            """
            INSERT INTO jobs (kind, relay_task_id, relay_mode, relay_version, platform,
                user_id, chat_id, thread_id, status_message_ref, state, request,
                created_at, updated_at, next_poll_at, deadline)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            RETURNING *
            """,
            (
                kind, relay_task_id, relay_mode, relay_version, platform, user_id, chat_id,
                thread_id, status_message_ref, state.value, dump_json(request), now, now,
                now if next_poll_at is None else next_poll_at, deadline,
            ),
            relay_task_id,
        )  # fmt: skip
        assert job is not None  # INSERT ... RETURNING always yields the row
        return job

    async def get_job(self, job_id: int) -> Job | None:
        row = await self._db.fetch_one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return _job(row) if row is not None else None

    async def get_job_by_relay_id(self, kind: str, relay_task_id: str) -> Job | None:
        row = await self._db.fetch_one(
            "SELECT * FROM jobs WHERE kind = ? AND relay_task_id = ?", (kind, relay_task_id)
        )
        return _job(row) if row is not None else None

    async def update_job(
        self,
        job_id: int,
        *,
        only_from: Collection[JobState] | None = None,
        state: JobState | None = None,
        relay_task_id: str | None = None,
        relay_mode: str | None = None,
        relay_version: str | None = None,
        status_message_ref: str | None = None,
        progress: int | None = None,
        progress_text: str | None = None,
        preview_url: str | None = None,
        result: JsonValue = None,
        error: str | None = None,
        next_poll_at: float | None = None,
        deadline: float | None = None,
    ) -> Job | None:
        if state in (JobState.DELIVERING, JobState.DELIVERED):
            raise ValueError("delivery states are set by claim_delivery / finish_delivery")
        _check_progress(progress)
        now = self._clock()
        changes: dict[str, object] = {
            "state": state.value if state is not None else None,
            "relay_task_id": relay_task_id,
            "relay_mode": relay_mode,
            "relay_version": relay_version,
            "status_message_ref": status_message_ref,
            "progress": progress,
            "progress_text": progress_text,
            "preview_url": preview_url,
            "result": dump_json(result) if result is not None else None,
            "error": error,
            "next_poll_at": next_poll_at,
            "deadline": deadline,
        }
        assignments = [f"{column} = ?" for column, value in changes.items() if value is not None]
        params: list[object] = [value for value in changes.values() if value is not None]
        assignments.append("updated_at = ?")
        params.append(now)
        if state in OUTCOME_STATES:
            assignments += ["outcome = ?", "finished_at = COALESCE(finished_at, ?)"]
            params += [state.value, now]
        where = "id = ?"
        params.append(job_id)
        if state is not None:
            # Only the delivery calls move a job out of delivering / delivered: a state
            # written over them would make the result due (and be sent) a second time.
            where += " AND state NOT IN ('delivering', 'delivered')"
        if only_from is not None:
            allowed = [s.value for s in only_from]
            where += f" AND state IN ({placeholders(len(allowed))})"
            params += allowed
        return await _fetch_job(
            self._db,
            f"UPDATE jobs SET {', '.join(assignments)} WHERE {where} RETURNING *",
            params,
            relay_task_id,
        )

    async def list_active_jobs(
        self, *, limit: int = 100, due_before: float | None = None
    ) -> list[Job]:
        sql = f"SELECT * FROM jobs WHERE state IN ({placeholders(len(_ACTIVE))})"
        params: list[object] = list(_ACTIVE)
        if due_before is not None:
            sql += " AND next_poll_at <= ?"
            params.append(due_before)
        sql += " ORDER BY next_poll_at, id LIMIT ?"
        params.append(limit)
        return [_job(row) for row in await self._db.fetch_all(sql, params)]

    async def list_jobs_for_owner(
        self, platform: str, user_id: str, *, limit: int = 20
    ) -> list[Job]:
        rows = await self._db.fetch_all(
            """
            SELECT * FROM jobs WHERE platform = ? AND user_id = ?
            ORDER BY created_at DESC, id DESC LIMIT ?
            """,
            (platform, user_id, limit),
        )
        return [_job(row) for row in rows]

    # -- delivery ------------------------------------------------------------------------
    async def list_due_deliveries(self, *, limit: int = 100) -> list[Job]:
        rows = await self._db.fetch_all(
            f"""
            SELECT * FROM jobs
            WHERE state IN ({placeholders(len(_OUTCOMES))})
               OR (state = 'delivering' AND delivery_lease_until <= ?)
            ORDER BY finished_at, id LIMIT ?
            """,
            (*_OUTCOMES, self._clock(), limit),
        )
        return [_job(row) for row in rows]

    async def claim_delivery(self, job_id: int, worker_id: str, lease_s: float) -> bool:
        now = self._clock()
        changed = await self._db.execute(
            f"""
            UPDATE jobs SET state = 'delivering', delivery_worker = ?,
                delivery_lease_until = ?, delivery_attempts = delivery_attempts + 1,
                updated_at = ?
            WHERE id = ? AND (state IN ({placeholders(len(_OUTCOMES))})
                OR (state = 'delivering' AND delivery_lease_until <= ?))
            """,
            (worker_id, now + lease_s, now, job_id, *_OUTCOMES, now),
        )
        return changed == 1

    async def finish_delivery(
        self, job_id: int, worker_id: str, message_refs: Sequence[str] = ()
    ) -> bool:
        now = self._clock()
        changed = await self._db.execute(
            """
            UPDATE jobs SET state = 'delivered', delivered_at = ?, delivered_refs = ?,
                delivery_lease_until = NULL, updated_at = ?
            WHERE id = ? AND state = 'delivering' AND delivery_worker = ?
            """,
            (now, dump_json(list(message_refs)), now, job_id, worker_id),
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

    # -- button keys ---------------------------------------------------------------------
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
                    key = self._new_key()
                    async with conn.execute(
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
                    ) as cursor:  # fmt: skip
                        row = await cursor.fetchone()
                    if row is not None:
                        created.append(_button(row))
                        break
                else:
                    raise StoreError(f"no free button key after {_KEY_ATTEMPTS} attempts")
        return created

    async def get_button(self, key: str) -> ButtonKey | None:
        row = await self._db.fetch_one("SELECT * FROM button_keys WHERE key = ?", (key,))
        return _button(row) if row is not None else None

    async def buttons_for_job(self, job_id: int) -> list[ButtonKey]:
        rows = await self._db.fetch_all(
            "SELECT * FROM button_keys WHERE job_id = ? ORDER BY id", (job_id,)
        )
        return [_button(row) for row in rows]
