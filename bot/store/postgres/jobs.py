"""A job's life up to its outcome, on PostgreSQL: written (ahead of the paid submit),
accepted, updated by a tracker tick, listed for the next one. "Now" is the database's clock
(see ``bot.store.postgres.db``).

Delivering the outcome, the named leases and taking over are in ``deliveries``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Collection, Sequence

import asyncpg

from bot.store import rows
from bot.store.events import NewUsage
from bot.store.postgres.db import PgDatabase, now_sql
from bot.store.records import (
    ACTIVE_STATES,
    OUTCOME_STATES,
    POLL_VIEW_COLUMNS,
    DuplicateJobError,
    Job,
    JobPollView,
    JobState,
    JobUpdate,
    JsonValue,
)
from bot.store.rows import dump_json, tick_jobs_sql

_ACTIVE = sorted(ACTIVE_STATES)
_OUTCOMES = sorted(OUTCOME_STATES)
_RELAY_ID_INDEX = "jobs_by_relay_id"
# The relay accepted a write-ahead submit (the CAS keeps a decided row as it is).
_ACCEPT_SUBMIT = f"""
    UPDATE jobs SET state = 'submitted', relay_task_id = $2, request = COALESCE($3, request),
        next_poll_at = $4, updated_at = {now_sql(5)}
    WHERE id = $1 AND state = 'submitting'
    RETURNING *
"""
# The same with the usage entry, in one statement (one round trip, one transaction): the
# entry is inserted only for the row the update changed.
_ACCEPT_SUBMIT_WITH_USAGE = f"""
    WITH accepted AS ({_ACCEPT_SUBMIT}), used AS (
        INSERT INTO usage (platform, user_id, chat_id, kind, model, units, created_at)
        SELECT $6::text, $7::text, $8::text, $9::text, $10::text, $11::integer, {now_sql(5)}
        FROM accepted
    )
    SELECT * FROM accepted
"""
_POLL_VIEW = ", ".join(POLL_VIEW_COLUMNS)


class PgJobs:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def _fetch_job(
        self, sql: str, params: Sequence[object], relay_task_id: str | None
    ) -> Job | None:
        return await self._guarded(self._db.fetch_one(sql, params), relay_task_id)

    @staticmethod
    async def _guarded(
        found: Awaitable[asyncpg.Record | None], relay_task_id: str | None
    ) -> Job | None:
        try:
            row = await found
        except asyncpg.UniqueViolationError as error:
            if relay_task_id is not None and error.constraint_name == _RELAY_ID_INDEX:
                raise DuplicateJobError(f"relay task {relay_task_id} is already tracked") from error
            raise
        return rows.job(row) if row is not None else None

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
        submit_tag: str | None = None,
        submit_worker: str | None = None,
        hold: str | None = None,
    ) -> Job:
        rows.check_new_state(state)
        sql = f"""
            INSERT INTO jobs (kind, relay_task_id, relay_mode, relay_version, platform,
                user_id, chat_id, thread_id, status_message_ref, state, request,
                created_at, updated_at, next_poll_at, deadline, submit_tag, submit_worker)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, {now_sql(12)}, {now_sql(12)},
                COALESCE($13::float8, {now_sql(12)}), $14, $15, $16)
            RETURNING *
            """
        params: tuple[object, ...] = (
            kind, relay_task_id, relay_mode, relay_version, platform, user_id, chat_id,
            thread_id, status_message_ref, state.value, dump_json(request),
            self._db.now(), next_poll_at, deadline, submit_tag, submit_worker,
        )  # fmt: skip
        if hold is not None:
            # The reservation it pays with records the new job in the same statement (one
            # round trip, one transaction: a crash leaves both or neither).
            sql = f"""
                WITH job AS ({sql}), held AS (
                    UPDATE credit_ledger SET job_id = job.id FROM job
                    WHERE credit_ledger.hold = $17 AND credit_ledger.kind = 'reserve'
                )
                SELECT * FROM job
                """
            params += (hold,)
        job = await self._guarded(self._db.fetch_one(sql, params), relay_task_id)
        assert job is not None  # INSERT ... RETURNING always yields the row
        return job

    async def get_job(self, job_id: int) -> Job | None:
        row = await self._db.fetch_one("SELECT * FROM jobs WHERE id = $1", (job_id,))
        return rows.job(row) if row is not None else None

    async def get_job_by_relay_id(self, kind: str, relay_task_id: str) -> Job | None:
        row = await self._db.fetch_one(
            "SELECT * FROM jobs WHERE kind = $1 AND relay_task_id = $2", (kind, relay_task_id)
        )
        return rows.job(row) if row is not None else None

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
        request: JsonValue = None,
    ) -> Job | None:
        rows.check_update_state(state)
        rows.check_progress(progress)
        if rows.cas_can_never_apply(only_from):
            return None
        changes = rows.job_changes(
            state=state,
            relay_task_id=relay_task_id,
            relay_mode=relay_mode,
            relay_version=relay_version,
            status_message_ref=status_message_ref,
            progress=progress,
            progress_text=progress_text,
            preview_url=preview_url,
            result=result,
            error=error,
            next_poll_at=next_poll_at,
            deadline=deadline,
            request=request,
        )
        params: list[object] = [job_id, self._db.now()]
        now = now_sql(2)
        assignments = [f"updated_at = {now}"]
        for column, value in changes.items():
            params.append(value)
            assignments.append(f"{column} = ${len(params)}")
        if state in OUTCOME_STATES:
            params.append(state.value)
            assignments += [
                f"outcome = ${len(params)}",
                f"finished_at = COALESCE(finished_at, {now})",
            ]
        where = "id = $1"
        if state is not None:
            # Only the delivery calls move a job out of delivering / delivered: a state
            # written over them would make the result due (and be sent) a second time.
            where += " AND state NOT IN ('delivering', 'delivered')"
        if only_from is not None:  # not empty: checked above
            params.append([s.value for s in only_from])
            where += f" AND state = ANY(${len(params)}::text[])"
        return await self._fetch_job(
            f"UPDATE jobs SET {', '.join(assignments)} WHERE {where} RETURNING *",
            params,
            relay_task_id,
        )

    async def apply_job_updates(self, updates: Sequence[JobUpdate]) -> list[Job]:
        if not updates:
            return []
        for update in updates:
            rows.check_update_state(update.state)
            rows.check_progress(update.progress)
        # One statement for the whole tick: the updates travel as parallel arrays.
        found = await self._db.fetch_all(
            f"""
            UPDATE jobs SET state = u.state, progress = u.progress,
                progress_text = u.progress_text,
                preview_url = COALESCE(u.preview_url, jobs.preview_url),
                result = COALESCE(u.result, jobs.result), error = COALESCE(u.error, jobs.error),
                next_poll_at = COALESCE(u.next_poll_at, jobs.next_poll_at),
                deadline = COALESCE(u.deadline, jobs.deadline), updated_at = {now_sql(1)},
                outcome = CASE WHEN u.state = ANY($3::text[]) THEN u.state ELSE jobs.outcome END,
                finished_at = CASE WHEN u.state = ANY($3::text[])
                    THEN COALESCE(jobs.finished_at, {now_sql(1)}) ELSE jobs.finished_at END
            FROM unnest($4::bigint[], $5::text[], $6::int[], $7::text[], $8::text[],
                        $9::text[], $10::text[], $11::float8[], $12::float8[])
                AS u(id, state, progress, progress_text, preview_url, result, error,
                     next_poll_at, deadline)
            WHERE jobs.id = u.id AND jobs.state = ANY($2::text[])
            RETURNING jobs.*
            """,
            (
                self._db.now(), _ACTIVE, _OUTCOMES,
                [u.job_id for u in updates], [u.state.value for u in updates],
                [u.progress for u in updates], [u.progress_text for u in updates],
                [u.preview_url for u in updates],
                [dump_json(u.result) if u.result is not None else None for u in updates],
                [u.error for u in updates], [u.next_poll_at for u in updates],
                [u.deadline for u in updates],
            ),
        )
        return [rows.job(row) for row in found]

    async def list_active_jobs(
        self, *, limit: int = 100, due_before: float | None = None
    ) -> list[Job]:
        found = await self._db.fetch_all(
            "SELECT * FROM jobs WHERE state = ANY($1::text[])"
            " AND ($2::float8 IS NULL OR next_poll_at <= $2)"
            " ORDER BY next_poll_at, id LIMIT $3",
            (_ACTIVE, due_before, limit),
        )
        return [rows.job(row) for row in found]

    async def list_tick_jobs(
        self, *, now: float, created_after: float | None, limit: int
    ) -> list[JobPollView]:
        wanted = tick_jobs_sql("$2::float8", None if created_after is None else "$4::float8")
        found = await self._db.fetch_all(
            f"""
            SELECT {_POLL_VIEW} FROM jobs WHERE state = ANY($1::text[]) AND {wanted}
            ORDER BY next_poll_at, id LIMIT $3
            """,
            (_ACTIVE, now, limit) if created_after is None
            else (_ACTIVE, now, limit, created_after),
        )
        return [rows.poll_view(row) for row in found]

    async def get_jobs(self, job_ids: Collection[int]) -> list[Job]:
        found = await self._db.fetch_all(
            "SELECT * FROM jobs WHERE id = ANY($1::bigint[]) ORDER BY id", (sorted(set(job_ids)),)
        )
        return [rows.job(row) for row in found]

    async def list_jobs_for_owner(
        self, platform: str, user_id: str, *, limit: int = 20
    ) -> list[Job]:
        found = await self._db.fetch_all(
            "SELECT * FROM jobs WHERE platform = $1 AND user_id = $2"
            " ORDER BY created_at DESC, id DESC LIMIT $3",
            (platform, user_id, limit),
        )
        return [rows.job(row) for row in found]

    async def count_active_jobs(self, platform: str, user_id: str) -> int:
        found = await self._db.fetch_one(
            "SELECT COUNT(*) FROM jobs"
            " WHERE platform = $1 AND user_id = $2 AND state = ANY($3::text[])",
            (platform, user_id, _ACTIVE),
        )
        assert found is not None  # COUNT(*) always yields a row
        return int(found[0])

    async def accept_submit(
        self,
        job_id: int,
        *,
        relay_task_id: str,
        next_poll_at: float,
        request: JsonValue = None,
        usage: NewUsage | None = None,
    ) -> Job | None:
        params: tuple[object, ...] = (
            job_id, relay_task_id, None if request is None else dump_json(request),
            next_poll_at, self._db.now(),
        )
        if usage is None:
            return await self._fetch_job(_ACCEPT_SUBMIT, params, relay_task_id)
        params += (usage.platform, usage.user_id, usage.chat_id, usage.kind, usage.model,
                   usage.units)
        return await self._fetch_job(_ACCEPT_SUBMIT_WITH_USAGE, params, relay_task_id)

    async def set_status_message(self, job_id: int, ref: str, *, next_poll_at: float) -> bool:
        changed = await self._db.execute(
            f"UPDATE jobs SET status_message_ref = $2, next_poll_at = $3,"
            f" updated_at = {now_sql(4)} WHERE id = $1",
            (job_id, ref, next_poll_at, self._db.now()),
        )
        return changed == 1

    async def replace_status_message(self, job_id: int, *, expected: str | None, new: str) -> bool:
        changed = await self._db.execute(
            f"UPDATE jobs SET status_message_ref = $3, updated_at = {now_sql(4)}"
            " WHERE id = $1 AND status_message_ref IS NOT DISTINCT FROM $2",
            (job_id, expected, new, self._db.now()),
        )
        return changed == 1

    # -- write-ahead submits -------------------------------------------------------------
    async def close_refused_submit(self, job_id: int, error: str) -> Job | None:
        row = await self._db.fetch_one(
            f"""
            UPDATE jobs SET state = 'delivered', outcome = 'failed', error = $2,
                finished_at = COALESCE(finished_at, {now_sql(3)}), delivered_at = {now_sql(3)},
                updated_at = {now_sql(3)}
            WHERE id = $1 AND state = 'submitting'
            RETURNING *
            """,
            (job_id, error, self._db.now()),
        )
        return rows.job(row) if row is not None else None

    async def discard_submitting_job(self, job_id: int) -> bool:
        changed = await self._db.execute(
            "DELETE FROM jobs WHERE id = $1 AND state = 'submitting'", (job_id,)
        )
        return changed == 1

