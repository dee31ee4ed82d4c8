"""The storage contract: one protocol per part of the bot's durable state.

Every piece of durable state (conversations, settings, long jobs, button keys, pending
text inputs, the usage ledger) goes through these protocols; nothing else in the bot writes to
disk. ``Store`` is all of them together, which is what ``open_store`` returns; code that needs
only one part may ask for just that part (``JobStore``, ``SettingsStore``...). Other code imports
only this module for typing, so a backend is swappable.

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

from collections.abc import Collection, Sequence
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


class JobStore(Protocol):
    """Long jobs at the relay, up to their outcome: written ahead of the paid submit,
    accepted, polled, and listed for the tracker's ticks (delivery: ``DeliveryStore``)."""

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
        """Insert a job; ``next_poll_at`` defaults to now. ``state`` must be active.

        ``hold``: the credit reservation the job pays with records the new job's id in
        the same transaction (as ``attach_hold``; a crash leaves both or neither).

        A write-ahead row (``state=SUBMITTING``) carries a unique ``submit_tag`` and the
        ``submit_worker`` (process identity) that is submitting it; ``next_poll_at`` is
        then when the tracker may decide the answer was lost.
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
        request: JsonValue = None,
    ) -> Job | None:
        """Set the given fields (None = leave unchanged), bump ``updated_at``.

        Reaching an outcome state records ``outcome`` and (once) ``finished_at``.
        ``state`` may not be DELIVERING/DELIVERED (use the delivery methods; ValueError).
        With ``only_from`` the update applies only if the current state is in it (CAS);
        an empty ``only_from`` never applies.
        A ``state`` change never applies to a DELIVERING/DELIVERED job (returns None), so
        a late update cannot make a delivered result due again.
        ``DuplicateJobError`` if the new relay_task_id is taken.
        Returns the updated job, or None if it does not exist or the CAS failed."""

    async def apply_job_updates(self, updates: Sequence[JobUpdate]) -> list[Job]:
        """Apply a tracker tick's poll results in one transaction.

        Each update applies only while its job is in ACTIVE_STATES (compare-and-set, as
        ``update_job(only_from=ACTIVE_STATES)``) and follows the same rules: reaching an
        outcome state records ``outcome`` and (once) ``finished_at``; DELIVERING/DELIVERED
        states are refused (ValueError). Returns the jobs whose update applied, as stored
        afterwards, in no particular order."""

    async def list_active_jobs(
        self, *, limit: int = 100, due_before: float | None = None
    ) -> list[Job]:
        """Jobs in ACTIVE_STATES by ``next_poll_at`` (then id); with ``due_before`` only
        those whose ``next_poll_at`` <= it."""

    async def list_tick_jobs(
        self, *, now: float, created_after: float | None, limit: int
    ) -> list[JobPollView]:
        """The active jobs a tracker tick at ``now`` may have to look at, as poll views,
        by ``next_poll_at`` (then id): SUBMITTING ones whose ``next_poll_at`` <= ``now``
        (a submit's answer is overdue); of the others, those whose ``deadline`` is unset or
        <= ``now``, and those with a relay task id that are due by age: never seen yet
        (``next_poll_at`` <= ``created_at``) or created after ``created_after`` (None: all
        of them). The database picks them: rows of other jobs are not read."""

    async def get_jobs(self, job_ids: Collection[int]) -> list[Job]:
        """The jobs of ``job_ids`` that exist, by id."""

    async def list_jobs_for_owner(
        self, platform: str, user_id: str, *, limit: int = 20
    ) -> list[Job]:
        """The owner's jobs, newest first."""

    async def count_active_jobs(self, platform: str, user_id: str) -> int:
        """How many of the owner's jobs are in ACTIVE_STATES (no row is read out)."""

    async def replace_status_message(self, job_id: int, *, expected: str | None, new: str) -> bool:
        """CAS: point the job at a new status message only if it still points at
        ``expected``. Of two trackers replacing the same message, one wins."""

    async def accept_submit(
        self,
        job_id: int,
        *,
        relay_task_id: str,
        next_poll_at: float,
        request: JsonValue = None,
        usage: NewUsage | None = None,
    ) -> Job | None:
        """CAS: SUBMITTING -> SUBMITTED with the relay's task id (and ``request`` when
        given), and the submit's ``usage`` entry, in one transaction: the entry is written
        only with the acceptance, and a crash leaves both or neither.
        ``DuplicateJobError`` if the task id is taken (nothing written). The accepted job,
        or None if it was no longer SUBMITTING (the tracker decided meanwhile)."""

    async def set_status_message(self, job_id: int, ref: str, *, next_poll_at: float) -> bool:
        """The job's first status message was sent: store its reference and make the job
        due at ``next_poll_at``, without reading the row back. False if there is no job."""

    async def close_refused_submit(self, job_id: int, error: str) -> Job | None:
        """SUBMITTING -> DELIVERED with outcome FAILED: the relay refused the submit and the
        command showed the reason itself, so there is nothing to track or deliver.
        None if the job was not SUBMITTING."""

    async def discard_submitting_job(self, job_id: int) -> bool:
        """Delete a SUBMITTING job whose answer named no new task of its own (the task is
        another job's, or waits for more input that starts its own job). False if the job
        was not SUBMITTING."""


class DeliveryStore(Protocol):
    """Exactly-once delivery of finished jobs, the named leases that let one process
    poll for all, and taking over the work of a process that is gone."""

    async def list_due_deliveries(self, *, limit: int = 100) -> list[Job]:
        """Jobs in OUTCOME_STATES, or DELIVERING with an expired lease; oldest finish first."""

    async def list_due_delivery_ids(self, *, limit: int = 100) -> list[DueDelivery]:
        """The same jobs as :meth:`list_due_deliveries`, in the same order, as ids and
        platforms only: no row is decoded (the tracker asks on every tick and wake-up)."""

    async def claim_delivery(self, job_id: int, worker_id: str, lease_s: float) -> Job | None:
        """CAS: move an outcome-state job (or one whose delivery lease expired) to
        DELIVERING held by ``worker_id`` until now + ``lease_s`` (now from the database's
        clock). Exactly one racer wins: it gets the claimed row (as of the claim, with the
        pieces an interrupted earlier attempt sent); the others get None."""

    async def finish_delivery(
        self, job_id: int, worker_id: str, message_refs: Sequence[str] = ()
    ) -> bool:
        """DELIVERING -> DELIVERED if ``worker_id`` still holds the claim (even if the lease
        expired but nobody re-claimed); ``message_refs`` are appended to those recorded by
        ``record_delivered_piece``. False means another worker owns it now."""

    async def record_delivered_piece(
        self, job_id: int, worker_id: str, message_ref: str, lease_s: float
    ) -> bool:
        """One more result message went out: append its reference, count it in
        ``pieces_sent`` and renew the lease, if ``worker_id`` still holds the claim."""

    async def release_delivery(self, job_id: int, worker_id: str) -> bool:
        """Give the claim back (delivery failed): the job returns to its outcome state and
        is due again at once. False if ``worker_id`` did not hold it."""

    async def workers_with_prefix(self, prefix: str) -> list[str]:
        """The distinct worker ids starting with ``prefix`` that hold a delivery or a
        submit (the candidates for ``take_over``)."""

    async def take_over(self, worker_id: str) -> int:
        """At start, for a process that is known to be gone: its delivery leases expire now
        and its SUBMITTING jobs become due now. Returns how many jobs."""

    async def claim_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Hold lease ``name`` until now + ``ttl_s`` if it is free, expired or already
        ``holder``'s (a renewal). Compare-and-set: of two racers exactly one wins."""

    async def release_lease(self, name: str, holder: str) -> bool:
        """Give lease ``name`` up at once (a clean stop); False if ``holder`` did not hold it."""


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
