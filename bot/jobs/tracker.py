"""The job tracker: one long-lived loop that polls, shows progress and delivers results.

Lifecycle (composition root)::

    tracker = JobTracker(services, outlets, clock=time.time, sleep=asyncio.sleep)
    await tracker.take_over()  # its predecessor's leases and submits, at once
    await tracker.start()      # resumes every unfinished job and due delivery
    ...
    await tracker.stop()       # cancels cleanly (a delivery already sending completes)

One tick per poll interval asks the relay about every job due in that interval
(:mod:`bot.jobs.polling`: Midjourney in batches of 100, so jobs that arrived at different
moments share requests), writes what changed in one transaction, edits status messages
(:mod:`bot.jobs.status`) and starts deliveries for jobs that reached an outcome. A tick
reads only the jobs it may ask about or time out (the store picks them), as narrow poll
views; whole rows only for the status messages and results that need them. Between
ticks, only jobs named by relay callbacks are asked about (at most once per interval). The
store is the source of truth, so a restart loses nothing: jobs keep their relay ids and
deadlines, and each result goes out once (:mod:`bot.jobs.delivery`: claimed with a lease,
recorded piece by piece).

The tracker's ``worker_id`` is the process identity (``Services.instance``, from
``[bot] instance_name`` or host and storage path): stable across restarts, so
:meth:`JobTracker.take_over` lets a restarted process resume its predecessor's deliveries
and lost submits at once instead of waiting for the lease to expire.

Several processes may track the jobs of one store. One of them polls, the one holding
the poll lease (:mod:`bot.jobs.leases`); the others skip polling and only deliver.
Delivery claims last ``[jobs] lease_s``. Jobs are never claimed one by one for polling:
that would split a tick's Midjourney batches between processes.

``clock`` must be the same wall clock the store uses (``time.time`` by default): job
creation times, deadlines and leases are compared with it across restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Final

from bot.core.bell import TrackerBell
from bot.core.context import Services
from bot.core.models import Button
from bot.jobs.delivery import Deliveries
from bot.jobs.hooks import JobOutcomeHook
from bot.jobs.kinds import KINDS
from bot.jobs.kinds.midjourney import NAME as MJ
from bot.jobs.leases import POLL_LEASE, poll_lease_s, take_over_predecessors
from bot.jobs.modal import modal_buttons
from bot.jobs.outlets import ChatOutlet, decode_message_ref, job_responder
from bot.jobs.polling import Poller, deadline_of, is_due, timed_out, update_for
from bot.jobs.records import due_age_limit, job_locale
from bot.jobs.results import ResultBuilder
from bot.jobs.status import StatusEditor
from bot.jobs.submits import resolve_lost_submit
from bot.store.base import ACTIVE_STATES, OUTCOME_STATES, Job, JobState, JobUpdate, PolledJob

log = logging.getLogger(__name__)

_MAX_ACTIVE_PER_TICK: Final = 50_000
_TICK_SLACK_S: Final = 0.001  # a nap may end a hair early
_APPLY_CONCURRENCY: Final = 8  # progress updates (with preview downloads) at once
_MAX_HINTS: Final = 100  # relay callbacks remembered between two ticks (one batch)
_MIN_NAP_S: Final = 0.05
# Between ticks, due deliveries are listed at most this often: a burst of rings (relay
# callbacks, cancels) must not re-read a delivery backlog once per ring.
_WAKE_LISTING_GAP_S: Final = 0.25


class JobTracker:
    def __init__(
        self,
        services: Services,
        outlets: Mapping[str, ChatOutlet],
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        worker_id: str | None = None,
        outcome_hooks: Sequence[JobOutcomeHook] = (),
        poller_chores: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        """``poller_chores`` run after every tick in which this process polls (holds the
        ``job-poller`` lease): housekeeping that one process of those sharing the store
        does (the credits' sweep of abandoned holds, which limits its own pace)."""
        self._services = services
        self._outlets = dict(outlets)
        self._clock = clock
        self._sleep = sleep
        # Several processes may share one store: delivery claims must tell them apart, and
        # a restarted process must recognise its predecessor's (see take_over).
        self._worker_id = worker_id or services.instance
        self._poller_chores = tuple(poller_chores)
        self._bell: TrackerBell = services.jobs
        self._poller = Poller(services.relay, clock=clock)
        self._status = StatusEditor(clock, services.config.bot.progress_interval_s,
                                    services.store)
        self._deliveries = Deliveries(
            services, self._outlets, self._status, worker_id=self._worker_id, sleep=sleep,
            outcome_hooks=outcome_hooks, on_done=self._notify,
        )
        self._loop_task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._hinted: set[str] = set()  # relay task ids named by callbacks
        self._hints_polled_at = -math.inf
        self._listed_between_ticks_at = -math.inf
        self._deferred_listing_at = math.inf  # a wake-up's listing put off by the gap
        self._ticks = 0  # ticks so far: older jobs are polled on every 2nd / 4th of them
        self._next_tick_at = -math.inf
        self._lease_s = services.config.jobs.lease_s  # shortens the poll lease

    # -- lifecycle -----------------------------------------------------------------

    async def take_over(self) -> None:
        """At start: the delivery leases and submits in flight of the processes this one
        replaces are resumed now, not when their leases run out (see
        :func:`bot.jobs.leases.take_over_predecessors`)."""
        await take_over_predecessors(self._services, self._worker_id)

    async def start(self) -> None:
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.create_task(self._run(), name="job-tracker")

    async def stop(self) -> None:
        """Stop polling and delivering; returns when every task of the tracker has ended."""
        tasks = [t for t in (self._loop_task, *self._deliveries.running) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop_task = None
        if self._ticks:  # polled: let another process take over at once, not at expiry
            await self._services.store.release_lease(POLL_LEASE, self._worker_id)

    def wake(self, relay_task_id: str | None = None) -> None:
        """Look now rather than at the next tick (a hint; polling stays in charge).

        ``relay_task_id`` (from a relay callback) makes that job due at once, at most one
        such poll per interval; without it only due deliveries start (new jobs wait for the
        next tick, where they share requests with every other job)."""
        if relay_task_id and len(self._hinted) < _MAX_HINTS:
            self._hinted.add(relay_task_id)
        self._bell.ring()

    async def wait_idle(self, timeout: float) -> bool:  # noqa: ASYNC109 - fixed interface
        """Wait (real time, at most ``timeout`` s) until no job is active or awaiting
        delivery; True when idle, False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    changed = self._changed
                    if await self._is_idle():
                        return True
                    await changed.wait()
        except TimeoutError:
            return False

    async def run_once(self) -> None:
        """One tick, deliveries included (tests and tools; the loop calls :meth:`_tick`)."""
        await self._tick()
        await self._deliveries.finish_running()

    # -- the loop ------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                if self._clock() >= self._next_tick_at - _TICK_SLACK_S:
                    await self._tick()
                else:  # woken early (a new job, a callback, a cancel)
                    await self._between_ticks()
            except Exception:  # a bug in one tick must not stop all jobs (logged)
                log.exception("job tracker tick failed")
            wake_at = min(self._next_tick_at, self._deferred_listing_at)
            await self._nap(max(_MIN_NAP_S, wake_at - self._clock()))

    async def _nap(self, delay: float) -> None:
        if not self._bell.rung:
            sleeper = asyncio.ensure_future(self._sleep(delay))
            ringer = asyncio.ensure_future(self._bell.wait())
            try:
                await asyncio.wait({sleeper, ringer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in (sleeper, ringer):
                    waiter.cancel()
                await asyncio.gather(sleeper, ringer, return_exceptions=True)
        self._bell.clear()

    async def _tick(self) -> None:
        """Ask about every job due in this interval, write what changed in one go."""
        now = self._clock()
        base = self._services.config.relay.poll_interval_s
        # Ticks at least an interval apart: no window of one interval holds two of them.
        self._next_tick_at = now + base
        store = self._services.store
        # Several processes may share the store: one of them polls, the rest only deliver.
        ttl = poll_lease_s(base, self._lease_s)
        if not await store.claim_lease(POLL_LEASE, self._worker_id, ttl):
            await self._deliveries.start_due()
            self._notify()
            return
        self._ticks += 1
        # Only the jobs this tick may ask about or time out, and overdue submits: the
        # database picks them, and a tick reads a few columns of each (no JSON).
        age_limit = due_age_limit(base, self._ticks)
        listed = await store.list_tick_jobs(
            now=now, created_after=None if math.isinf(age_limit) else now - age_limit,
            limit=_MAX_ACTIVE_PER_TICK,
        )
        # A submit whose answer never came: found by its tag, or reported (bot.jobs.submits).
        lost = [job.id for job in listed
                if job.state is JobState.SUBMITTING and job.next_poll_at <= now]
        if lost:
            await self._resolve_lost_submits(await store.get_jobs(lost))
        active = [job for job in listed if job.state is not JobState.SUBMITTING]
        hinted = self._take_hints()
        due: list[PolledJob] = [job for job in active if job.relay_task_id in hinted
                                or is_due(job, self._ticks, now, base)]
        polled = {job.id for job in due}
        listed_tasks = {job.relay_task_id for job in active}
        # Named by a callback but not listed (an older job between its ticks): read whole.
        due += [job for job in await self._hinted_jobs(hinted - listed_tasks)
                if job.id not in polled]
        polled = {job.id for job in due}
        # A job that is not asked about still times out on time.
        late = [timed_out(job, None if job.relay_task_id else "not submitted")
                for job in active if job.id not in polled and now >= deadline_of(job)]
        # It starts the due deliveries itself, right after storing the tick's updates.
        await self._poll_and_apply(due, now, late, then=self._schedule_next_tick)
        self._notify()
        for chore in self._poller_chores:
            await chore()

    async def _resolve_lost_submits(self, jobs: Sequence[Job]) -> None:
        for job in jobs:
            try:
                await resolve_lost_submit(self._services, job, job_responder(self._outlets, job))
            except Exception:  # one job's failure must not stall the others (logged)
                log.exception("could not resolve the submit of job %s", job.id)

    def _schedule_next_tick(self) -> None:
        """The next tick's requests go out a whole interval after this tick's last one, even
        when a tick runs long: no window of one interval ever holds two ticks' requests."""
        base = self._services.config.relay.poll_interval_s
        self._next_tick_at = max(self._next_tick_at, self._clock() + base)

    async def _between_ticks(self) -> None:
        """Jobs named by relay callbacks are asked about at once, at most once per interval
        (so callbacks add at most one status request to any interval); deliveries start."""
        now = self._clock()
        base = self._services.config.relay.poll_interval_s
        if self._hinted and now - self._hints_polled_at >= base:
            self._hints_polled_at = math.inf  # until this poll's requests are answered
            await self._poll_and_apply(await self._hinted_jobs(self._take_hints()), now,
                                       then=self._hints_polled)
        elif now < self._listed_between_ticks_at + _WAKE_LISTING_GAP_S:
            # Listed a moment ago: list again once the gap has passed (see _run's nap).
            self._deferred_listing_at = self._listed_between_ticks_at + _WAKE_LISTING_GAP_S
            return
        self._deferred_listing_at = math.inf
        self._listed_between_ticks_at = now
        await self._deliveries.start_due()
        self._notify()

    def _hints_polled(self) -> None:
        self._hints_polled_at = self._clock()

    def _take_hints(self) -> set[str]:
        hinted, self._hinted = self._hinted, set()
        return hinted

    async def _hinted_jobs(self, task_ids: set[str]) -> list[Job]:
        """Active jobs of kinds that take callbacks, named by ``task_ids``."""
        kinds = [kind.name for kind in KINDS.values() if kind.takes_callbacks]
        jobs: list[Job] = []
        for task_id in task_ids:
            for kind in kinds:
                job = await self._services.store.get_job_by_relay_id(kind, task_id)
                if job is not None and job.state in ACTIVE_STATES:
                    jobs.append(job)
        return jobs

    async def _poll_and_apply(
        self,
        due: Sequence[PolledJob],
        now: float,
        extra: Sequence[JobUpdate] = (),
        *,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Poll ``due``, store what changed (with ``extra``), show progress; ``then`` runs
        as soon as the relay has answered every request."""
        base = self._services.config.relay.poll_interval_s
        try:
            outcomes = await self._poller.poll(due)
        finally:
            if then is not None:
                then()
        updates = [*extra]
        for outcome in outcomes:
            update = update_for(outcome, now, base)
            if update is not None:
                updates.append(update)
        # Fail reasons quote the relay, which may echo a key: never stored nor shown.
        redact = self._services.redact
        updates = [dataclasses.replace(u, error=redact(u.error)) if u.error else u
                   for u in updates]
        stored = {job.id: job for job in await self._services.store.apply_job_updates(updates)}
        for job in stored.values():
            if job.state in OUTCOME_STATES:
                self._count_state(job)
        # Results first: a tick of many progress edits must not hold up finished jobs.
        # Results due before this tick, not yet sending:
        backlog = self._deliveries.waiting_for_slot
        await self._deliveries.start_due(stored)
        if backlog:
            # The process is not keeping up with its results: they get the CPU, and each
            # status message catches up, with its newest state and preview, on the first
            # tick after this one that polls its job again.
            log.info("%d results waiting: no progress edits this tick", backlog)
            return
        # Status messages: changed jobs, and unchanged ones whose message may be behind
        # (an edit throttled or skipped, or not shown by this process yet): only these
        # are read whole.
        shown: list[Job] = []
        behind: list[int] = []
        for outcome in outcomes:
            polled = outcome.job
            if outcome.observation is None:
                continue
            if polled.id in stored:
                shown.append(stored[polled.id])
            elif isinstance(polled, Job):
                shown.append(polled)
            elif not self._status.is_settled(polled):
                behind.append(polled.id)
        if behind:
            shown += await self._services.store.get_jobs(behind)
        # Only a message that needs an edit now gets a task: a throttled one is looked at
        # again on a later tick (not even its text is built), one with nothing new to
        # show is settled here.
        edits: list[tuple[Job, str]] = []
        for job in shown:
            if job.state not in ACTIVE_STATES:
                continue
            try:
                if self._status.wait_needed(job) > 0:
                    continue
                text = self._status.pending_text(job)
            except Exception:  # one job's bug must not stall the others (logged)
                log.exception("could not show the progress of job %s", job.id)
                continue
            if text is None:
                self._status.settle(job)  # not read whole again until the job is written
            else:
                edits.append((job, text))
        waiting = iter(edits)

        async def show() -> None:
            for job, text in waiting:  # shared: each worker takes the next edit in order
                try:
                    await self._show_text(job, text)
                except Exception:  # one job's bug must not stall the others (logged)
                    log.exception("could not show the progress of job %s", job.id)
                else:
                    self._status.settle(job)

        # Concurrently, so one slow preview download does not hold up every other job;
        # by a few workers rather than a task per edit (tasks cost CPU at every tick).
        workers = min(_APPLY_CONCURRENCY, len(edits))
        if workers == 1:
            await show()
        elif workers:
            await asyncio.gather(*(show() for _ in range(workers)))

    def _count_state(self, job: Job) -> None:
        """Count a job entering its final state."""
        self._services.metrics.jobs.labels(job.kind, job.state.value).inc()

    async def _show_text(self, job: Job, text: str) -> None:
        ref = decode_message_ref(job.status_message_ref)
        responder = job_responder(self._outlets, job)
        if ref is None or responder is None:
            return
        builder = ResultBuilder(self._services, responder.limits)
        buttons: tuple[tuple[Button, ...], ...] = ()
        if job.state is JobState.MODAL and job.kind == MJ:
            buttons = await modal_buttons(self._services.store, job, job_locale(job))
        await self._status.show_progress(
            job, responder, ref, lambda url: builder.fetch(url, "image"), buttons=buttons,
            text=text,
        )

    # -- idleness ------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _is_idle(self) -> bool:
        if self._deliveries.running:
            return False
        if await self._services.store.list_active_jobs(limit=1):
            return False
        return not await self._deliveries.any_due()
