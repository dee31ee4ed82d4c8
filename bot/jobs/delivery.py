"""The tracker's delivery side: each finished job's result goes out once, and only once.

:class:`Deliveries` starts one task per job the store lists as due for delivery, at most
``[jobs] parallel_deliveries`` of them sending at once (delivery slots). A task builds the
result's messages first (downloads included, buttons with placeholder keys), then claims
the delivery with a lease, storing the result's buttons in the same transaction
(``claim_delivery_with_buttons``: only the worker that sends a result stores its keys),
sends the pieces and records each as it goes (``record_delivered_piece``), and closes it
with ``finish_delivery``. A delivery interrupted by a crash continues from the first unsent
piece: at most the piece in flight is sent twice. A platform that keeps refusing the result
gets it retried a few times, then a plain-text notice instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Final

from bot.core.context import Services
from bot.core.models import DeliveryError, MessageRef, Reply, Responder
from bot.core.texts import t
from bot.jobs.hooks import JobOutcomeHook
from bot.jobs.outlets import ChatOutlet, decode_message_ref, encode_message_ref, job_responder
from bot.jobs.records import job_locale
from bot.jobs.results import ResultBuilder, with_keys
from bot.jobs.status import StatusEditor
from bot.store.base import OUTCOME_STATES, Job, JobState

log = logging.getLogger(__name__)

_MAX_DUE_PER_TICK: Final = 1000  # deliveries started per tick
_MAX_DELIVERY_ATTEMPTS: Final = 5


class _Slot:
    """One delivery slot of the tracker, given back once (early, or when the task ends)."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots.release()


class Deliveries:
    """The delivery tasks of one tracker, and the slots they send in."""

    def __init__(
        self,
        services: Services,
        outlets: Mapping[str, ChatOutlet],
        status: StatusEditor,
        *,
        worker_id: str,
        sleep: Callable[[float], Awaitable[None]],
        outcome_hooks: Sequence[JobOutcomeHook],
        on_done: Callable[[], None],
    ) -> None:
        """``status`` is the tracker's own editor (its throttle covers progress and final
        edits alike); ``on_done`` runs whenever a delivery task ends."""
        self._services = services
        self._outlets = outlets
        self._status = status
        self._worker_id = worker_id
        self._sleep = sleep
        self._outcome_hooks = tuple(outcome_hooks)
        self._on_done = on_done
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(services.config.jobs.parallel_deliveries)
        self._waiting_for_slot = 0  # deliveries started but not yet sending
        self._lease_s = services.config.jobs.lease_s  # delivery claims

    @property
    def running(self) -> tuple[asyncio.Task[None], ...]:
        return tuple(self._tasks.values())

    @property
    def waiting_for_slot(self) -> int:
        """Deliveries started but not yet sending: results waiting for a free slot."""
        return self._waiting_for_slot

    async def finish_running(self) -> None:
        """Wait until every delivery task, also those started meanwhile, has ended."""
        while self._tasks:
            await asyncio.wait(set(self._tasks.values()))

    async def any_due(self) -> bool:
        """Whether a result this process can send is waiting for delivery."""
        due = await self._services.store.list_due_delivery_ids(limit=_MAX_DUE_PER_TICK)
        return any(job.platform in self._outlets for job in due)

    async def start_due(self, just_stored: Mapping[int, Job] | None = None) -> None:
        """Start a delivery for every due job not being delivered (``just_stored``: rows
        this tick wrote, so a job that just finished is not read again to build its result)."""
        due = await self._services.store.list_due_delivery_ids(limit=_MAX_DUE_PER_TICK)
        for job in due:
            if job.job_id in self._tasks or job.platform not in self._outlets:
                continue
            known = just_stored.get(job.job_id) if just_stored else None
            if known is not None and known.state not in OUTCOME_STATES:
                known = None
            task = asyncio.create_task(self._deliver(job.job_id, known),
                                       name=f"deliver-job-{job.job_id}")
            self._tasks[job.job_id] = task
            task.add_done_callback(functools.partial(self._delivery_done, job.job_id))

    def _delivery_done(self, job_id: int, _task: asyncio.Task[None]) -> None:
        task = self._tasks.pop(job_id, None)
        if task is not None and not task.cancelled() and task.exception() is not None:
            log.error("delivery of job %s failed", job_id, exc_info=task.exception())
        self._on_done()

    async def _deliver(self, job_id: int, known: Job | None = None) -> None:
        """``known``: the job's row as this tick stored it (its outcome), else read here.
        Either way the claim returns it afresh before anything is sent."""
        store = self._services.store
        self._waiting_for_slot += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting_for_slot -= 1
        slot = _Slot(self._slots)
        try:
            job = known or await store.get_job(job_id)
            if job is None or job.state is JobState.DELIVERED:
                return
            for hook in self._outcome_hooks:
                await hook.job_finished(job)
            responder = job_responder(self._outlets, job)
            if responder is None:
                return
            # Download and build everything before claiming: the lease then covers only
            # the sends, so a slow download cannot outlive it and let another worker
            # deliver the same result again. Cancelled here, nothing is claimed or sent.
            builder = ResultBuilder(self._services, responder.limits, defer_buttons=True)
            replies = await builder.replies(job)
            # The claimed row, read under the claim: an interrupted earlier attempt may
            # have sent pieces. The result's buttons are stored in the same transaction,
            # so only the worker that sends them stores any.
            if builder.deferred_buttons:
                claimed = await store.claim_delivery_with_buttons(
                    job_id, self._worker_id, self._lease_s, builder.deferred_buttons)
                if claimed is None:
                    return  # another worker has it, or it was delivered meanwhile
                job, keys = claimed
                replies = with_keys(replies, keys)
            else:
                found = await store.claim_delivery(job_id, self._worker_id, self._lease_s)
                if found is None:
                    return
                job = found
            # Once the first message is out, finish even if the tracker is being stopped:
            # an interrupted send would be repeated after a restart.
            sending = asyncio.ensure_future(self._send_all(job, responder, replies,
                                                           sent=slot.release))
            try:
                await asyncio.shield(sending)
            except asyncio.CancelledError:
                await asyncio.wait({sending})
                raise
        finally:
            slot.release()

    async def _send_all(
        self, job: Job, responder: Responder, replies: Sequence[Reply],
        *, sent: Callable[[], None] = lambda: None,
    ) -> None:
        """Send the result's pieces and record them; ``sent`` is called once the delivery
        is recorded, before the last status edit waits for its throttle (the caller's
        delivery slot is free for the next result by then)."""
        store = self._services.store
        status_ref = decode_message_ref(job.status_message_ref)
        refs: list[str] = []
        if job.pieces_sent:
            log.info("job %s: resuming its delivery at piece %d of %d", job.id,
                     job.pieces_sent + 1, len(replies))
        try:
            # Each piece is recorded once sent: after a crash the next attempt (this
            # process or another) starts at the first unsent one. The last goes in with
            # finish_delivery, one write fewer: a crash between the two repeats only it.
            last = len(replies) - 1
            for index in range(job.pieces_sent, len(replies)):
                reply = replies[index]
                if status_ref is not None and reply.reply_to is None:
                    reply = dataclasses.replace(reply, reply_to=status_ref)
                ref = encode_message_ref(await responder.send(reply))
                if index == last:
                    refs.append(ref)
                elif not await store.record_delivered_piece(job.id, self._worker_id, ref,
                                                            self._lease_s):
                    log.warning("job %s: lost its delivery claim; another worker goes on",
                                job.id)
                    return
        except DeliveryError as exc:
            # ``job`` was read after this attempt's claim, which counted it.
            if job.delivery_attempts < _MAX_DELIVERY_ATTEMPTS:
                log.warning("delivery of job %s failed, will retry: %s", job.id, exc)
                await store.release_delivery(job.id, self._worker_id)
                self._count_delivery(job, "retry")
                return
            log.error("delivery of job %s failed, giving up: %s", job.id, exc)
            refs += await self._send_undeliverable_notice(job, responder, status_ref)
            self._count_delivery(job, "failed")
        else:
            self._count_delivery(job, "delivered")
        await store.finish_delivery(job.id, self._worker_id, refs)
        sent()
        if status_ref is not None:
            await self._sleep(self._status.wait_needed(job))
            await self._status.show_final(job, responder, status_ref)

    def _count_delivery(self, job: Job, outcome: str) -> None:
        self._services.metrics.deliveries.labels(job.platform, outcome).inc()

    async def _send_undeliverable_notice(
        self, job: Job, responder: Responder, status_ref: MessageRef | None
    ) -> list[str]:
        """The platform keeps refusing the result: tell the user in plain text at least."""
        notice = Reply(
            t(
                "jobs.undeliverable",
                job_locale(job),
                id=job.id,
                relay_id=job.relay_task_id or "?",
            ),
            reply_to=status_ref,
        )
        try:
            return [encode_message_ref(await responder.send(notice))]
        except DeliveryError as exc:
            log.error("could not tell the owner of job %s either: %s", job.id, exc)
            return []
