"""What both backends share: JSON columns, button keys and turning rows into records.

Both backends keep the same columns with the same meaning (JSON as text, times as float
seconds), so one set of converters serves ``sqlite3.Row`` and ``asyncpg.Record`` alike.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, Final, Protocol

from bot.store.community import LedgerEntry, OpenHold
from bot.store.records import (
    ACTIVE_STATES,
    BUTTON_KEY_MAX_LEN,
    ButtonKey,
    Conversation,
    Job,
    JobPollView,
    JobState,
    JsonValue,
    Message,
    PendingInput,
)

Clock = Callable[[], float]
# Keys for the buttons of one message (the argument: how many).
KeyFactory = Callable[[int], list[str]]


class Row(Protocol):
    """A database row read by column name (``sqlite3.Row``, ``asyncpg.Record``)."""

    def __getitem__(self, key: str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...

    def __iter__(self) -> Iterator[Any]:
        """The values, in the order of ``keys()``."""


def new_button_keys(count: int) -> list[str]:
    """Keys for one message's buttons: 12 url-safe characters each, 72 random bits (far
    below Telegram's 64-byte limit). The first 24 bits are shared by the batch, so a
    message's keys sit side by side in the unique key index: a result's nine buttons
    write one or two index pages instead of nine scattered ones. Each key is still
    uniformly random; what the shared part tells is only that the keys belong to one
    message, whose keys anyone who can see it can read anyway."""
    shared = secrets.token_urlsafe(3)
    own = secrets.token_urlsafe(6 * count)  # 6 bytes = 8 characters each, no padding
    return [shared + own[i:i + 8] for i in range(0, 8 * count, 8)]


_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def checked_keys(key_factory: KeyFactory, count: int) -> list[str]:
    keys = key_factory(count)
    if len(keys) != count:
        raise ValueError(f"button key factory made {len(keys)} keys for {count} buttons")
    for key in keys:
        if not 0 < len(key) <= BUTTON_KEY_MAX_LEN or not _URL_SAFE.issuperset(key):
            raise ValueError(f"button key factory produced an unusable key: {key!r}")
    return keys


# One encoder for every dump: ``json.dumps`` with options builds a new one per call.
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dump_json(value: JsonValue) -> str:
    return _ENCODER.encode(value)


def message_params(
    conversation_id: int, role: str, content: str, extra: JsonValue, chars: int | None,
    now: float | None,
) -> tuple[object, ...]:
    """The parameters of both backends' message insert, in column order (conversation_id,
    role, content, extra, chars, created_at); ``chars`` defaults to ``len(content)``."""
    return (conversation_id, role, content, dump_json(extra) if extra is not None else None,
            len(content) if chars is None else chars, now)


def load_json(text: str | None) -> JsonValue:
    if text is None:
        return None
    value: JsonValue = json.loads(text)
    return value


def check_progress(progress: int | None) -> None:
    if progress is not None and not 0 <= progress <= 100:
        raise ValueError(f"progress must be within 0..100, got {progress}")


def check_new_state(state: JobState) -> None:
    if state not in ACTIVE_STATES:
        raise ValueError(f"a new job must start in an active state, not {state}")


def check_update_state(state: JobState | None) -> None:
    if state in (JobState.DELIVERING, JobState.DELIVERED):
        raise ValueError("delivery states are set by claim_delivery / finish_delivery")


def cas_can_never_apply(only_from: Collection[JobState] | None) -> bool:
    """``update_job(only_from=[])``: no current state qualifies, so nothing is updated."""
    return only_from is not None and not only_from


def conversation(row: Row) -> Conversation:
    return Conversation(
        id=row["id"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        model=row["model"],
        persona=row["persona"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        ended_at=row["ended_at"],
    )


def message(row: Row) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=row["role"],
        content=row["content"],
        extra=load_json(row["extra"]),
        chars=row["chars"],
        created_at=row["created_at"],
    )


def pending(row: Row, *, expired: bool = False) -> PendingInput:
    return PendingInput(
        platform=row["platform"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        kind=row["kind"],
        payload=load_json(row["payload"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        expired=expired,
    )


# Rows are read for every active job on every tick: the common cases skip the decoders.
_STATES: dict[str, JobState] = {state.value: state for state in JobState}
_NO_REFS = (None, "[]")


def _state(value: str) -> JobState:
    found = _STATES.get(value)
    return found if found is not None else JobState(value)  # an unknown one still fails


def _refs(text: str | None) -> tuple[str, ...]:
    if text in _NO_REFS:
        return ()
    refs = load_json(text)
    return tuple(str(ref) for ref in refs) if isinstance(refs, list) else ()


def job(row: Row) -> Job:
    # One pass over the columns: ``sqlite3.Row`` looks a name up with a linear,
    # case-insensitive scan: 31 such lookups were ~40 % of this decode (every active
    # job is decoded on every tick).
    column = dict(zip(row.keys(), row, strict=True))
    return Job(
        id=column["id"],
        kind=column["kind"],
        relay_task_id=column["relay_task_id"],
        relay_mode=column["relay_mode"],
        relay_version=column["relay_version"],
        platform=column["platform"],
        user_id=column["user_id"],
        chat_id=column["chat_id"],
        thread_id=column["thread_id"],
        status_message_ref=column["status_message_ref"],
        state=_state(column["state"]),
        outcome=_state(column["outcome"]) if column["outcome"] is not None else None,
        progress=column["progress"],
        progress_text=column["progress_text"],
        preview_url=column["preview_url"],
        request=load_json(column["request"]),
        result=load_json(column["result"]),
        error=column["error"],
        created_at=column["created_at"],
        updated_at=column["updated_at"],
        finished_at=column["finished_at"],
        next_poll_at=column["next_poll_at"],
        deadline=column["deadline"],
        delivery_worker=column["delivery_worker"],
        delivery_lease_until=column["delivery_lease_until"],
        delivery_attempts=column["delivery_attempts"],
        delivered_at=column["delivered_at"],
        delivered_refs=_refs(column["delivered_refs"]),
        submit_tag=column["submit_tag"],
        pieces_sent=column["pieces_sent"],
    )


def poll_view(row: Row) -> JobPollView:
    """A row of the :data:`~bot.store.records.POLL_VIEW_COLUMNS`, selected in that order."""
    (id_, kind, relay_task_id, relay_mode, relay_version, status_message_ref, state, progress,
     progress_text, preview_url, created_at, updated_at, next_poll_at, deadline) = row
    return JobPollView(id_, kind, relay_task_id, relay_mode, relay_version, status_message_ref,
                       _state(state), progress, progress_text, preview_url, created_at,
                       updated_at, next_poll_at, deadline)


# The active jobs a tracker tick looks at (placeholders: the tick's "now", then, when
# given, the creation time after which jobs are due by age): overdue submits, jobs due
# (never seen, or young enough for this tick) and jobs whose deadline is unknown or past.
# Evaluated by the database: a tick reads no row of a job it will neither ask about nor
# time out.
def tick_jobs_sql(now: str, created_after: str | None) -> str:
    due = "relay_task_id IS NOT NULL"
    if created_after is not None:
        due += f" AND (next_poll_at <= created_at OR created_at > {created_after})"
    return f"""
        CASE WHEN state = 'submitting' THEN next_poll_at <= {now}
        ELSE deadline IS NULL OR deadline <= {now} OR ({due}) END"""


def button(row: Row) -> ButtonKey:
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


def job_changes(
    *,
    state: JobState | None,
    relay_task_id: str | None,
    relay_mode: str | None,
    relay_version: str | None,
    status_message_ref: str | None,
    progress: int | None,
    progress_text: str | None,
    preview_url: str | None,
    result: JsonValue,
    error: str | None,
    next_poll_at: float | None,
    deadline: float | None,
    request: JsonValue = None,
) -> dict[str, object]:
    """The columns ``update_job`` sets (None = leave unchanged), as stored values."""
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
        "request": dump_json(request) if request is not None else None,
    }
    return {column: value for column, value in changes.items() if value is not None}


# Jobs whose result is due: an outcome state, or a delivery whose lease ran out (``?`` /
# ``$n``: "now"). Written as the predicate of the partial index ``jobs_due_for_delivery``
# (schema v5, both backends) AND-ed with the lease test, so the index can serve it: the due
# jobs are read in ``finished_at`` order and the listing stops at its limit, however many
# are due.
DUE_STATES_SQL: Final = (
    "state IN ('cancelled', 'delivering', 'failed', 'succeeded', 'timed_out')"
)


def due_delivery_sql(now: str) -> str:
    """The WHERE condition of the due deliveries, ``now`` a placeholder for "now"."""
    return f"{DUE_STATES_SQL} AND (state <> 'delivering' OR delivery_lease_until <= {now})"


# A reserve is open while no settlement row shares its hold (SQL both backends accept).
OPEN_HOLD_SQL: Final = (
    "kind = 'reserve' AND NOT EXISTS (SELECT 1 FROM credit_ledger s"
    " WHERE s.hold = credit_ledger.hold AND s.kind IN ('charge', 'refund'))"
)


def ledger_entry(row: Row) -> LedgerEntry:
    return LedgerEntry(hold=row["hold"], identity=row["identity"], capability=row["capability"],
                       kind=row["kind"], amount=row["amount"], job_id=row["job_id"],
                       day=row["day"], created_at=row["created_at"])


def open_hold(row: Row) -> OpenHold:
    return OpenHold(hold=row["hold"], identity=row["identity"], capability=row["capability"],
                    amount=row["amount"], job_id=row["job_id"], day=row["day"],
                    created_at=row["created_at"], holder=row["holder"])


def charged_and_reserved(rows: Iterable[Row]) -> tuple[dict[str, float], dict[str, float]]:
    """Today's charges and open holds per capability, from rows of (capability, kind,
    is_open, amount) sums."""
    charged: dict[str, float] = {}
    reserved: dict[str, float] = {}
    for row in rows:
        capability = row["capability"]
        if row["kind"] == "charge":
            charged[capability] = charged.get(capability, 0.0) + float(row["amount"])
        elif row["is_open"]:
            reserved[capability] = reserved.get(capability, 0.0) + float(row["amount"])
    return charged, reserved
