"""A job's life up to its outcome, on SQLite: written (ahead of the paid submit), accepted,
updated by a tracker tick, listed for the next one. "Now" is the store's clock.

Delivering the outcome, the named leases and taking over are in ``deliveries``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Collection, Sequence
from functools import partial

from bot.store import rows
from bot.store.events import NewUsage
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
from bot.store.rows import Clock, dump_json, tick_jobs_sql
from bot.store.sqlite.db import Database, Params, fetch_one, placeholders
from bot.store.sqlite.settings import INSERT_USAGE

_ACTIVE = tuple(sorted(ACTIVE_STATES))
_POLL_VIEW = ", ".join(POLL_VIEW_COLUMNS)
_IDS_PER_QUERY = 500  # bound parameters per statement stay far below SQLite's limit
# As ``attach_hold`` (credits), for the job row that a reservation pays for.
_ATTACH_HOLD = "UPDATE credit_ledger SET job_id = ? WHERE hold = ? AND kind = 'reserve'"
# The relay accepted a write-ahead submit (the CAS keeps a decided row as it is).
_ACCEPT_SUBMIT = """
    UPDATE jobs SET state = 'submitted', relay_task_id = ?, request = COALESCE(?, request),
        next_poll_at = ?, updated_at = ?
    WHERE id = ? AND state = 'submitting'
    RETURNING *
"""
# One statement for every update of a tick: the CAS keeps it to active jobs.
_APPLY_UPDATE = f"""
    UPDATE jobs SET state = ?, progress = ?, progress_text = ?,
        preview_url = COALESCE(?, preview_url), result = COALESCE(?, result),
        error = COALESCE(?, error), next_poll_at = COALESCE(?, next_poll_at),
        deadline = COALESCE(?, deadline), updated_at = ?,
        outcome = COALESCE(?, outcome),
        finished_at = CASE WHEN ? IS NULL THEN finished_at ELSE COALESCE(finished_at, ?) END
    WHERE id = ? AND state IN ({placeholders(len(_ACTIVE))})
    RETURNING *
"""


def _apply_all(values: Sequence[tuple[object, ...]], conn: sqlite3.Connection) -> list[Job]:
    """Every update of a tick on the connection thread; each changed row once, as stored
    last (a CAS miss returns none), in id order as before (the tracker starts the
    deliveries of the jobs that finished in the order it gets them)."""
    applied: dict[int, sqlite3.Row] = {}
    for params in values:
        row = conn.execute(_APPLY_UPDATE, params).fetchone()
        if row is not None:
            applied[row["id"]] = row
    return [rows.job(row) for _, row in sorted(applied.items())]


async def _fetch_job(
    db: Database, sql: str, params: Params, relay_task_id: str | None
) -> Job | None:
    return await _guarded(db.fetch_one(sql, params), relay_task_id)


def _inserted(sql: str, params: Params, hold: str | None, conn: sqlite3.Connection) -> sqlite3.Row:
    """The new job's row; with ``hold``, the reservation it pays with records the job in
    the same transaction (a crash leaves both or neither)."""
    row = fetch_one(conn, sql, params)
    assert row is not None  # INSERT ... RETURNING always yields the row
    if hold is not None:
        conn.execute(_ATTACH_HOLD, (row["id"], hold))
    return row


async def _guarded(found: Awaitable[sqlite3.Row | None], relay_task_id: str | None) -> Job | None:
    try:
        row = await found
    except sqlite3.IntegrityError as error:
        if relay_task_id is not None and "relay_task_id" in str(error):
            raise DuplicateJobError(f"relay task {relay_task_id} is already tracked") from error
        raise
    return rows.job(row) if row is not None else None


class SqliteJobs:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

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
        submit_tag: str | None = None,
        submit_worker: str | None = None,
        hold: str | None = None,
    ) -> Job:
        rows.check_new_state(state)
        now = self._clock()
        insert = partial(
            _inserted,
            """
            INSERT INTO jobs (kind, relay_task_id, relay_mode, relay_version, platform,
                user_id, chat_id, thread_id, status_message_ref, state, request,
                created_at, updated_at, next_poll_at, deadline, submit_tag, submit_worker)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            RETURNING *
            """,
            (
                kind, relay_task_id, relay_mode, relay_version, platform, user_id, chat_id,
                thread_id, status_message_ref, state.value, dump_json(request), now, now,
                now if next_poll_at is None else next_poll_at, deadline, submit_tag,
                submit_worker,
            ),
            hold,
        )  # fmt: skip
        found = self._db.write(insert) if hold is not None else self._db.run(insert)
        job = await _guarded(found, relay_task_id)
        assert job is not None
        return job

    async def get_job(self, job_id: int) -> Job | None:
        row = await self._db.fetch_one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return rows.job(row) if row is not None else None

    async def get_job_by_relay_id(self, kind: str, relay_task_id: str) -> Job | None:
        row = await self._db.fetch_one(
            "SELECT * FROM jobs WHERE kind = ? AND relay_task_id = ?", (kind, relay_task_id)
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
        now = self._clock()
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
        assignments = [f"{column} = ?" for column in changes]
        params: list[object] = list(changes.values())
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
        if only_from is not None:  # not empty: checked above
            allowed = [s.value for s in only_from]
            where += f" AND state IN ({placeholders(len(allowed))})"
            params += allowed
        return await _fetch_job(
            self._db,
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
        now = self._clock()
        values: list[tuple[object, ...]] = []
        for u in updates:
            outcome = u.state.value if u.state in OUTCOME_STATES else None
            values.append((
                u.state.value, u.progress, u.progress_text, u.preview_url,
                dump_json(u.result) if u.result is not None else None, u.error,
                u.next_poll_at, u.deadline, now, outcome, outcome, now, u.job_id, *_ACTIVE,
            ))  # fmt: skip
        # One transaction, one hand-off for the whole tick.
        return await self._db.write(partial(_apply_all, values))

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
        return [rows.job(row) for row in await self._db.fetch_all(sql, params)]

    async def list_tick_jobs(
        self, *, now: float, created_after: float | None, limit: int
    ) -> list[JobPollView]:
        wanted = tick_jobs_sql("?", None if created_after is None else "?")
        sql = f"""
            SELECT {_POLL_VIEW} FROM jobs
            WHERE state IN ({placeholders(len(_ACTIVE))}) AND {wanted}
            ORDER BY next_poll_at, id LIMIT ?
        """
        params: list[object] = [*_ACTIVE, now, now]
        if created_after is not None:
            params.append(created_after)
        params.append(limit)
        return [rows.poll_view(row) for row in await self._db.fetch_all(sql, params)]

    async def get_jobs(self, job_ids: Collection[int]) -> list[Job]:
        ids = sorted(set(job_ids))
        found: list[Job] = []
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start:start + _IDS_PER_QUERY]
            found += [rows.job(row) for row in await self._db.fetch_all(
                f"SELECT * FROM jobs WHERE id IN ({placeholders(len(chunk))}) ORDER BY id", chunk
            )]
        return found

    async def list_jobs_for_owner(
        self, platform: str, user_id: str, *, limit: int = 20
    ) -> list[Job]:
        found = await self._db.fetch_all(
            """
            SELECT * FROM jobs WHERE platform = ? AND user_id = ?
            ORDER BY created_at DESC, id DESC LIMIT ?
            """,
            (platform, user_id, limit),
        )
        return [rows.job(row) for row in found]

    async def count_active_jobs(self, platform: str, user_id: str) -> int:
        found = await self._db.fetch_one(
            f"""
            SELECT COUNT(*) FROM jobs
            WHERE platform = ? AND user_id = ? AND state IN ({placeholders(len(_ACTIVE))})
            """,
            (platform, user_id, *_ACTIVE),
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
        now = self._clock()
        params = (relay_task_id, None if request is None else dump_json(request), next_poll_at,
                  now, job_id)

        def accept(conn: sqlite3.Connection) -> sqlite3.Row | None:
            row = fetch_one(conn, _ACCEPT_SUBMIT, params)
            if row is not None and usage is not None:
                conn.execute(INSERT_USAGE, (usage.platform, usage.user_id, usage.chat_id,
                                            usage.kind, usage.model, usage.units, now))
            return row

        return await _guarded(self._db.write(accept), relay_task_id)

    async def set_status_message(self, job_id: int, ref: str, *, next_poll_at: float) -> bool:
        changed = await self._db.execute(
            "UPDATE jobs SET status_message_ref = ?, next_poll_at = ?, updated_at = ?"
            " WHERE id = ?",
            (ref, next_poll_at, self._clock(), job_id),
        )
        return changed == 1

    async def replace_status_message(self, job_id: int, *, expected: str | None, new: str) -> bool:
        changed = await self._db.execute(
            "UPDATE jobs SET status_message_ref = ?, updated_at = ?"
            " WHERE id = ? AND status_message_ref IS ?",
            (new, self._clock(), job_id, expected),
        )
        return changed == 1

    # -- write-ahead submits -------------------------------------------------------------
    async def close_refused_submit(self, job_id: int, error: str) -> Job | None:
        now = self._clock()
        row = await self._db.fetch_one(
            """
            UPDATE jobs SET state = 'delivered', outcome = 'failed', error = ?,
                finished_at = COALESCE(finished_at, ?), delivered_at = ?, updated_at = ?
            WHERE id = ? AND state = 'submitting'
            RETURNING *
            """,
            (error, now, now, now, job_id),
        )
        return rows.job(row) if row is not None else None

    async def discard_submitting_job(self, job_id: int) -> bool:
        changed = await self._db.execute(
            "DELETE FROM jobs WHERE id = ? AND state = 'submitting'", (job_id,)
        )
        return changed == 1

