"""The records the store returns, its errors and the job states.

Errors::

    StoreError
    ├── SchemaTooNewError   the database was written by a newer relaybot; refuse to touch it
    ├── StoreUnavailableError  the database cannot be reached (PostgreSQL)
    ├── DuplicateJobError   another job already has that (kind, relay_task_id)
    └── TargetNotEmptyError migrate-store was pointed at a database that already holds data
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

BUTTON_KEY_MAX_LEN = 16
"""Button keys fit Telegram's 64-byte callback data with room for a short prefix."""


class StoreError(Exception):
    """Base of every failure the store itself raises (driver errors are not wrapped)."""


class SchemaTooNewError(StoreError):
    """The database schema version is newer than this code knows how to read."""

    def __init__(self, where: str, found: int, supported: int) -> None:
        super().__init__(
            f"{where}: database schema version {found} is newer than this relaybot "
            f"supports ({supported}); upgrade relaybot or use another database file"
        )
        self.found = found
        self.supported = supported


class StoreUnavailableError(StoreError):
    """The database server cannot be reached or refused us; the message holds no password."""


class DuplicateJobError(StoreError):
    """A job with the same (kind, relay_task_id) exists: the relay task is tracked already."""


class TargetNotEmptyError(StoreError):
    """A store copy was asked to write into a database that already holds data."""


class JobState(enum.StrEnum):
    SUBMITTING = "submitting"  # stored before the paid submit; the relay has not answered
    SUBMITTED = "submitted"
    RUNNING = "running"
    MODAL = "modal"  # the relay waits for extra input (Midjourney modal: zoom, remix...)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    DELIVERING = "delivering"  # a worker holds the delivery lease
    DELIVERED = "delivered"


ACTIVE_STATES: frozenset[JobState] = frozenset(
    {JobState.SUBMITTING, JobState.SUBMITTED, JobState.RUNNING, JobState.MODAL}
)
"""Not finished: the tracker polls these (a SUBMITTING one it looks up by its tag)."""

OUTCOME_STATES: frozenset[JobState] = frozenset(
    {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.TIMED_OUT}
)
"""Finished at the relay, result not yet delivered to the chat."""


class SettingScope(enum.StrEnum):
    USER = "user"  # owner_id is a user id
    CHAT = "chat"  # owner_id is a chat id


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    platform: str
    chat_id: str
    thread_id: str
    model: str | None  # None: use the configured default
    persona: str | None  # system prompt; None: the default persona
    active: bool
    created_at: float
    ended_at: float | None


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    conversation_id: int
    role: str  # "system" | "user" | "assistant" | "tool"
    content: str
    extra: JsonValue  # e.g. {"images": [...]}; None when absent
    chars: int  # what this message costs in the history budget
    created_at: float


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str  # "mj", "suno", "luma", ...
    relay_task_id: str | None  # None until the relay accepted the submit
    relay_mode: str | None  # e.g. Midjourney "FAST" / "RELAX"
    relay_version: str | None  # e.g. Suno model version
    platform: str
    user_id: str
    chat_id: str
    thread_id: str
    status_message_ref: str | None  # opaque adapter reference to the progress message
    state: JobState
    outcome: JobState | None  # the OUTCOME_STATES member reached; kept through delivery
    progress: int  # 0..100
    progress_text: str | None
    preview_url: str | None
    request: JsonValue
    result: JsonValue
    error: str | None
    created_at: float
    updated_at: float
    finished_at: float | None  # when an outcome state was first reached
    next_poll_at: float
    deadline: float | None  # past it the tracker gives up (timed_out)
    delivery_worker: str | None
    delivery_lease_until: float | None
    delivery_attempts: int
    delivered_at: float | None
    delivered_refs: tuple[str, ...]  # adapter references of the result messages
    submit_tag: str | None = None  # unique, sent as Midjourney ``state``; found again by it
    # Result messages recorded as sent mid-delivery: a resumed delivery skips them (the last
    # one is not counted: it goes in with finish_delivery).
    pieces_sent: int = 0

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class PolledJob(Protocol):
    """What polling reads of a job: a :class:`Job`, or the :class:`JobPollView` a tick
    lists (read-only, so both are one)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def relay_task_id(self) -> str | None: ...
    @property
    def relay_mode(self) -> str | None: ...
    @property
    def relay_version(self) -> str | None: ...
    @property
    def status_message_ref(self) -> str | None: ...
    @property
    def state(self) -> JobState: ...
    @property
    def progress(self) -> int: ...
    @property
    def progress_text(self) -> str | None: ...
    @property
    def preview_url(self) -> str | None: ...
    @property
    def created_at(self) -> float: ...
    @property
    def updated_at(self) -> float: ...
    @property
    def next_poll_at(self) -> float: ...
    @property
    def deadline(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class JobPollView:
    """The columns of an active job that a tracker tick reads: no JSON, no delivery
    columns. A tick lists these for the jobs it may ask about; the whole :class:`Job` is
    read only for those whose status message or result needs it."""

    id: int
    kind: str
    relay_task_id: str | None
    relay_mode: str | None
    relay_version: str | None
    status_message_ref: str | None
    state: JobState
    progress: int
    progress_text: str | None
    preview_url: str | None
    created_at: float
    updated_at: float
    next_poll_at: float
    deadline: float | None


POLL_VIEW_COLUMNS = tuple(JobPollView.__dataclass_fields__)
"""The ``jobs`` columns of a :class:`JobPollView`, in its fields' order."""


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A job whose result waits to go out: what it takes to start delivering it (the
    delivery reads the whole job once it holds the claim)."""

    job_id: int
    platform: str


@dataclass(frozen=True, slots=True)
class JobUpdate:
    """What one poll changed about an active job: one item of ``apply_job_updates``.

    ``state``, ``progress`` and ``progress_text`` are always written; the other fields
    only when not None (None leaves the stored value)."""

    job_id: int
    state: JobState
    progress: int
    progress_text: str
    preview_url: str | None = None
    result: JsonValue = None
    error: str | None = None
    next_poll_at: float | None = None
    deadline: float | None = None


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """A button to be given a key: what ``create_buttons`` takes."""

    kind: str  # what pressing it does, e.g. "mj_action", "retry"
    label: str = ""
    emoji: str = ""
    custom_id: str | None = None  # Midjourney customId, verbatim
    payload: JsonValue = None


@dataclass(frozen=True, slots=True)
class ButtonKey:
    key: str  # url-safe, at most BUTTON_KEY_MAX_LEN characters
    job_id: int | None
    position: int  # order within the message it was created for
    kind: str
    label: str
    emoji: str
    custom_id: str | None
    payload: JsonValue
    message_ref: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class ButtonClaim:
    """What ``claim_button`` found: ``won`` means this press may start the job; otherwise
    ``job_id`` is the job an earlier press started (None while that one is submitting)."""

    won: bool
    job_id: int | None


@dataclass(frozen=True, slots=True)
class PendingInput:
    platform: str
    chat_id: str
    user_id: str
    kind: str  # e.g. "mj_modal"
    payload: JsonValue
    created_at: float
    expires_at: float
    # Past its expiry when read (only ``include_expired`` reads return such a record).
    expired: bool = False


@dataclass(frozen=True, slots=True)
class UsageTotals:
    kind: str  # "chat", "dalle", "mj", "tts", ...
    count: int  # number of ledger entries
    units: int  # sum of units (tokens, images, characters...)
