"""The storage contract: the ``Store`` protocol and the frozen records it returns.

Every piece of durable state (conversations, settings, long jobs, button keys, pending
text inputs, the usage ledger) goes through ``Store``; nothing else in the bot writes to disk.
Other code imports only this module for typing, so a backend is swappable.

Rules every backend keeps, so several bot processes can share one database (PostgreSQL):

* Nothing relies on being the only process: ids come from the database, get-or-create is
  race-safe, and transitions two workers could race on are compare-and-set
  (``claim_delivery``, ``finish_delivery``, ``update_job(only_from=...)``, ``pop_pending``).
* Timestamps are float seconds since the epoch from the store's injected clock.
* Platform ids (chat, user, thread) are strings; "no thread" is ``""``, never ``None``.
* JSON values are plain ``JsonValue`` trees; records are immutable snapshots.

Errors::

    StoreError
    ├── SchemaTooNewError   the database was written by a newer relaybot; refuse to touch it
    └── DuplicateJobError   another job already has that (kind, relay_task_id)
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

BUTTON_KEY_MAX_LEN = 16
"""Button keys fit Telegram's 64-byte callback data with room for a short prefix."""


class StoreError(Exception):
    """Base of every failure the store itself raises (driver errors are not wrapped)."""


class SchemaTooNewError(StoreError):
    """The database schema version is newer than this code knows how to read."""

    def __init__(self, path: str, found: int, supported: int) -> None:
        super().__init__(
            f"{path}: database schema version {found} is newer than this relaybot "
            f"supports ({supported}); upgrade relaybot or use another database file"
        )
        self.found = found
        self.supported = supported


class DuplicateJobError(StoreError):
    """A job with the same (kind, relay_task_id) exists: the relay task is tracked already."""


class JobState(enum.StrEnum):
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
    {JobState.SUBMITTED, JobState.RUNNING, JobState.MODAL}
)
"""Still running at the relay: the tracker polls these."""

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

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


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
class PendingInput:
    platform: str
    chat_id: str
    user_id: str
    kind: str  # e.g. "mj_modal"
    payload: JsonValue
    created_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class UsageTotals:
    kind: str  # "chat", "dalle", "mj", "tts", ...
    count: int  # number of ledger entries
    units: int  # sum of units (tokens, images, characters...)


class Store(Protocol):
    """Durable state of the bot. All methods are coroutines; records are snapshots."""

    async def close(self) -> None: ...

    # -- conversations -------------------------------------------------------------------
    async def active_conversation(
        self, platform: str, chat_id: str, thread_id: str = ""
    ) -> Conversation:
        """The scope's active conversation, created if there is none (race-safe)."""

    async def reset_conversation(
        self, platform: str, chat_id: str, thread_id: str = "", *, keep_settings: bool = True
    ) -> Conversation:
        """End the active conversation (kept, inactive) and start a new active one.

        With ``keep_settings`` the new one inherits the old one's model and persona."""

    async def get_conversation(self, conversation_id: int) -> Conversation | None: ...

    async def set_conversation_model(self, conversation_id: int, model: str | None) -> None: ...

    async def set_conversation_persona(self, conversation_id: int, persona: str | None) -> None: ...

    async def append_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        extra: JsonValue = None,
        chars: int | None = None,
    ) -> Message:
        """Add a message; ``chars`` defaults to ``len(content)``."""

    async def history(self, conversation_id: int, max_chars: int) -> list[Message]:
        """The newest messages whose ``chars`` sum to at most ``max_chars``, oldest first.

        Whole messages are dropped from the oldest end; if the newest alone is over
        budget the result is empty."""

    # -- settings ------------------------------------------------------------------------
    async def get_setting(
        self, scope: SettingScope, platform: str, owner_id: str, key: str
    ) -> JsonValue:
        """The value, or None when unset (store JSON null only if you mean "unset")."""

    async def set_setting(
        self, scope: SettingScope, platform: str, owner_id: str, key: str, value: JsonValue
    ) -> None: ...

    async def delete_setting(
        self, scope: SettingScope, platform: str, owner_id: str, key: str
    ) -> bool:
        """True if something was deleted."""

    async def all_settings(
        self, scope: SettingScope, platform: str, owner_id: str
    ) -> dict[str, JsonValue]: ...

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
        """Insert a job; ``next_poll_at`` defaults to now. ``state`` must be active.
        ``DuplicateJobError`` if (kind, relay_task_id) is taken."""

    async def get_job(self, job_id: int) -> Job | None: ...

    async def get_job_by_relay_id(self, kind: str, relay_task_id: str) -> Job | None: ...

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
        """Set the given fields (None = leave unchanged), bump ``updated_at``.

        Reaching an outcome state records ``outcome`` and (once) ``finished_at``.
        ``state`` may not be DELIVERING/DELIVERED (use the delivery methods; ValueError).
        With ``only_from`` the update applies only if the current state is in it (CAS).
        A ``state`` change never applies to a DELIVERING/DELIVERED job (returns None), so
        a late update cannot make a delivered result due again.
        ``DuplicateJobError`` if the new relay_task_id is taken.
        Returns the updated job, or None if it does not exist or the CAS failed."""

    async def list_active_jobs(
        self, *, limit: int = 100, due_before: float | None = None
    ) -> list[Job]:
        """Jobs in ACTIVE_STATES by ``next_poll_at`` (then id); with ``due_before`` only
        those whose ``next_poll_at`` <= it."""

    async def list_jobs_for_owner(
        self, platform: str, user_id: str, *, limit: int = 20
    ) -> list[Job]:
        """The owner's jobs, newest first."""

    async def list_due_deliveries(self, *, limit: int = 100) -> list[Job]:
        """Jobs in OUTCOME_STATES, or DELIVERING with an expired lease; oldest finish first."""

    async def claim_delivery(self, job_id: int, worker_id: str, lease_s: float) -> bool:
        """CAS: move an outcome-state job (or one whose delivery lease expired) to
        DELIVERING held by ``worker_id`` until now + ``lease_s``. Exactly one racer wins."""

    async def finish_delivery(
        self, job_id: int, worker_id: str, message_refs: Sequence[str] = ()
    ) -> bool:
        """DELIVERING -> DELIVERED if ``worker_id`` still holds the claim (even if the lease
        expired but nobody re-claimed). False means another worker owns it now."""

    async def release_delivery(self, job_id: int, worker_id: str) -> bool:
        """Give the claim back (delivery failed): the job returns to its outcome state and
        is due again at once. False if ``worker_id`` did not hold it."""

    # -- button keys ---------------------------------------------------------------------
    async def create_buttons(
        self,
        job_id: int | None,
        buttons: Sequence[ButtonSpec],
        *,
        message_ref: str | None = None,
    ) -> list[ButtonKey]:
        """Give each button a fresh random key (collisions retried), in order, atomically."""

    async def get_button(self, key: str) -> ButtonKey | None: ...

    async def buttons_for_job(self, job_id: int) -> list[ButtonKey]:
        """In creation order."""

    # -- pending inputs ------------------------------------------------------------------
    async def put_pending(
        self,
        platform: str,
        chat_id: str,
        user_id: str,
        *,
        kind: str,
        payload: JsonValue = None,
        ttl_s: float,
    ) -> PendingInput:
        """Replace whatever was pending for (platform, chat, user)."""

    async def get_pending(self, platform: str, chat_id: str, user_id: str) -> PendingInput | None:
        """The unexpired pending input, left in place."""

    async def pop_pending(self, platform: str, chat_id: str, user_id: str) -> PendingInput | None:
        """Atomically take the pending input: of two concurrent pops one gets it.
        An expired one is removed and None returned."""

    async def purge_expired_pending(self) -> int:
        """Delete expired pending inputs; returns how many."""

    # -- usage ledger --------------------------------------------------------------------
    async def record_usage(
        self,
        platform: str,
        user_id: str,
        chat_id: str,
        *,
        kind: str,
        model: str | None = None,
        units: int = 1,
    ) -> None: ...

    async def usage_summary(
        self, platform: str, user_id: str, *, since: float, until: float | None = None
    ) -> dict[str, UsageTotals]:
        """Per kind, entries with ``since <= created_at < until`` (until: no bound)."""
