"""The storage contract: one protocol per part of the bot's durable state.

Every piece of durable state (conversations, settings, long jobs, button keys, pending
text inputs, the usage ledger) goes through these protocols; nothing else in the bot writes to
disk. ``Store`` is all of them together, which is what ``open_store`` returns; code that needs
only one part may ask for just that part (``JobStore``, ``SettingsStore``...). Some parts are
declared in modules of their own (``community``, ``events``, ``jobs``) and re-exported here. Other
code types against these protocols, never against a backend, so a backend is swappable.

Rules every backend keeps, so several bot processes can share one database (PostgreSQL):

* Nothing relies on being the only process: ids come from the database, get-or-create is
  race-safe, and transitions two workers could race on are compare-and-set
  (``claim_delivery``, ``finish_delivery``, ``update_job(only_from=...)``,
  ``apply_job_updates``, ``replace_status_message``, ``claim_lease``, ``pop_pending``).
* Timestamps are float seconds since the epoch. "Now" is the store's clock: an injected one
  (tests), else the database server's own clock on PostgreSQL (so leases taken by processes on
  different machines compare against one clock) and ``time.time`` on SQLite.
* Platform ids (chat, user, thread) are strings; "no thread" is ``""``, never ``None``.
* JSON values are plain ``JsonValue`` trees; records are immutable snapshots.

Errors are in ``bot.store.records`` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.store.community import AccessStore, LedgerStore
from bot.store.events import (
    EventQuery,
    EventReads,
    EventStore,
    NewMessage,
    NewUsage,
    TurnWritten,
)
from bot.store.jobs import DeliveryStore, JobStore
from bot.store.records import (
    ACTIVE_STATES,
    BUTTON_KEY_MAX_LEN,
    OUTCOME_STATES,
    ButtonClaim,
    ButtonKey,
    ButtonSpec,
    Conversation,
    DueDelivery,
    DuplicateJobError,
    Job,
    JobPollView,
    JobState,
    JobUpdate,
    JsonValue,
    Message,
    PendingInput,
    PolledJob,
    SchemaTooNewError,
    SettingScope,
    StoreError,
    StoreUnavailableError,
    TargetNotEmptyError,
    UsageTotals,
)

__all__ = [
    "ACTIVE_STATES",
    "BUTTON_KEY_MAX_LEN",
    "OUTCOME_STATES",
    "AccessStore",
    "ButtonClaim",
    "ButtonKey",
    "ButtonSpec",
    "ButtonStore",
    "Conversation",
    "ConversationStore",
    "DeliveryStore",
    "DueDelivery",
    "DuplicateJobError",
    "EventQuery",
    "EventReads",
    "EventStore",
    "Job",
    "JobPollView",
    "JobState",
    "JobStore",
    "JobUpdate",
    "JsonValue",
    "LedgerStore",
    "Message",
    "NewMessage",
    "NewUsage",
    "PendingInput",
    "PendingStore",
    "PolledJob",
    "SchemaTooNewError",
    "SettingScope",
    "SettingsStore",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "TargetNotEmptyError",
    "TurnWritten",
    "UsageStore",
    "UsageTotals",
]


class ConversationStore(Protocol):
    """Conversations per (platform, chat, thread) and their messages."""

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

    async def active_conversation_and_history(
        self, platform: str, chat_id: str, thread_id: str, max_chars: int
    ) -> tuple[Conversation, list[Message]]:
        """:meth:`active_conversation` and its :meth:`history`, read together: what one
        chat turn needs before its relay request, in one trip where the backend can."""


class SettingsStore(Protocol):
    """Per-user and per-chat settings: JSON values under string keys."""

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


class ButtonStore(Protocol):
    """Short random keys standing for the buttons under a message, and the presses that
    started a job from one (one press, one action)."""

    async def create_buttons(
        self,
        job_id: int | None,
        buttons: Sequence[ButtonSpec],
        *,
        message_ref: str | None = None,
    ) -> list[ButtonKey]:
        """Give each button a fresh random key (collisions retried), in order, atomically."""

    async def claim_delivery_with_buttons(
        self, job_id: int, worker_id: str, lease_s: float, buttons: Sequence[ButtonSpec]
    ) -> tuple[Job, list[ButtonKey]] | None:
        """``claim_delivery``, and when it wins, ``create_buttons(job_id, buttons)``, in
        one transaction (one trip): the claimed row and the keys, or None (nothing
        written) when another worker holds the delivery or it was delivered. A result's
        buttons are stored only by the worker that sends it, the moment it claims it."""

    async def get_button(self, key: str) -> ButtonKey | None: ...

    async def buttons_for_job(self, job_id: int) -> list[ButtonKey]:
        """In creation order."""

    async def claim_button(self, key: str, *, stale_after_s: float) -> ButtonClaim:
        """Atomically take button ``key`` for one press (one press, one action).

        Won when nobody pressed it yet, when the job an earlier press started failed
        (cancelled, timed out), or when an earlier press started nothing for
        ``stale_after_s`` (its process died). Of concurrent callers exactly one wins."""

    async def attach_button_job(self, key: str, job_id: int | None) -> None:
        """The press of ``key`` started job ``job_id`` (None: none yet, still held)."""

    async def release_button(self, key: str) -> None:
        """The press of ``key`` ended without attaching a job (nothing started, or only a
        question was asked): free the button. A press with a job keeps it."""


class PendingStore(Protocol):
    """At most one pending text input per (platform, chat, user), with an expiry."""

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

    async def get_pending(
        self, platform: str, chat_id: str, user_id: str, *, include_expired: bool = False
    ) -> PendingInput | None:
        """The pending input, left in place: only an unexpired one, unless
        ``include_expired`` (then ``PendingInput.expired`` says which it is)."""

    async def pop_pending(
        self,
        platform: str,
        chat_id: str,
        user_id: str,
        *,
        include_expired: bool = False,
        only: PendingInput | None = None,
    ) -> PendingInput | None:
        """Atomically take the pending input: of two concurrent pops one gets it.
        An expired one is removed too, and returned only with ``include_expired`` (marked
        ``expired``, so a late answer can be told its question expired). With ``only``,
        it is taken only if it is still that one (same kind, asked at the same moment):
        a question another process asked in the meantime stays."""


class UsageStore(Protocol):
    """The usage ledger: one entry per billable request."""

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


class Store(
    ConversationStore,
    SettingsStore,
    JobStore,
    DeliveryStore,
    ButtonStore,
    PendingStore,
    UsageStore,
    LedgerStore,
    AccessStore,
    EventStore,
    Protocol,
):
    """Durable state of the bot: every part. All methods are coroutines; records are
    snapshots. Open one with ``bot.store.open_store``."""

    async def close(self) -> None: ...
