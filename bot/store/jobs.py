"""The jobs part of the storage contract: a long job at the relay up to its outcome, and its
delivery.

``JobStore`` covers a job from the write-ahead row before the paid submit to its outcome (the
tracker's polls and ticks); ``DeliveryStore`` takes it from there: the exactly-once, resumable
delivery of the outcome, the named leases that let one process poll for all, and taking over the
work of a process that is gone. ``Store`` in ``bot.store.base`` includes both; the rules every
backend keeps (compare-and-set transitions, the store's clock) are stated there.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from bot.store.events import NewUsage
from bot.store.records import DueDelivery, Job, JobPollView, JobState, JobUpdate, JsonValue

__all__ = ["DeliveryStore", "JobStore"]


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
