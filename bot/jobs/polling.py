"""Asking the relay how active jobs are doing, and when: each kind's own poller, on ticks.

Every kind gets one :class:`~bot.jobs.kinds.base.KindPoller` per tracker (Midjourney's
remembers whether the relay takes batch requests). A job of a kind nobody registered is
not silently skipped: it fails, and the log says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

from bot.jobs.kinds import UnknownJobKindError, kind_of
from bot.jobs.kinds.base import DEFAULT_DEADLINE_S, KindPoller, Observation, PollOutcome
from bot.jobs.modal import modal_deadline
from bot.jobs.records import poll_factor
from bot.relay import RelayClient
from bot.store.base import OUTCOME_STATES, JobState, JobUpdate, PolledJob

log = logging.getLogger(__name__)


class Poller:
    def __init__(self, relay: RelayClient, *, clock: Callable[[], float]) -> None:
        self._relay = relay
        self._clock = clock
        self._pollers: dict[str, KindPoller] = {}

    def poller_for(self, kind: str) -> KindPoller:
        """This tracker's poller of ``kind``; :class:`UnknownJobKindError` if unregistered."""
        poller = self._pollers.get(kind)
        if poller is None:
            poller = self._pollers[kind] = kind_of(kind).poller(self._relay, self._clock)
        return poller

    async def poll(self, jobs: Sequence[PolledJob]) -> list[PollOutcome]:
        """An outcome for every job with a relay task id; kinds are polled concurrently."""
        by_kind: dict[str, list[PolledJob]] = {}
        for job in jobs:
            if job.relay_task_id:
                by_kind.setdefault(job.kind, []).append(job)
        outcomes: list[PollOutcome] = []
        polls = []
        for kind, group in by_kind.items():
            try:
                polls.append(self.poller_for(kind).poll(group))
            except UnknownJobKindError as exc:
                log.error("jobs %s cannot be polled: %s", [job.id for job in group], exc)
                outcomes += [PollOutcome(job, Observation(JobState.FAILED, job.progress,
                                                          "unknown", error=str(exc)))
                             for job in group]
        for found in await asyncio.gather(*polls):
            outcomes += found
        return outcomes


# -- the schedule ----------------------------------------------------------------------
# Ticks come once per poll interval; every job due within a tick's interval is asked about
# in that tick, so Midjourney jobs share list-by-condition batches whenever they arrived.
# Older jobs are polled every 2nd or 4th tick, counted on the same ticks (so they share
# them too). Nothing about the schedule is written: a job whose task did not change costs
# no write at all.


def deadline_of(job: PolledJob) -> float:
    """When the job times out: fixed at its creation by its kind's rule."""
    if job.deadline is not None:
        return job.deadline
    try:
        return job.created_at + kind_of(job.kind).deadline_s(job)
    except UnknownJobKindError:
        return job.created_at + DEFAULT_DEADLINE_S


def is_due(job: PolledJob, tick: int, now: float, base: float) -> bool:
    """Whether tick number ``tick`` asks about ``job``."""
    if not job.relay_task_id:
        return False  # never accepted by the relay: it only waits for its deadline
    if job.next_poll_at <= job.created_at:
        # Not seen yet (or put back into polling, e.g. after a MODAL answer): the first
        # tick after it arrived asks about it. Every poll that changes a job moves this on.
        return True
    return tick % poll_factor(base, now - job.created_at) == 0


def update_for(outcome: PollOutcome, now: float, base: float) -> JobUpdate | None:
    """What to store after polling ``outcome.job``; None when nothing changed."""
    job, obs = outcome.job, outcome.observation
    if obs is not None and obs.state in OUTCOME_STATES:
        return JobUpdate(job.id, obs.state, obs.progress, obs.status_text, result=obs.result,
                         error=obs.error or None)
    deadline = deadline_of(job)
    if obs is not None and obs.state is JobState.MODAL:
        deadline = modal_deadline(job, deadline, now)  # someone must be asked first
    if now >= deadline:
        return timed_out(job, outcome.retry_reason)
    if obs is None or not changes(job, obs):
        return None
    # Past its creation time: the job has been seen (see is_due); the value itself is for
    # people reading rows, ticks decide when it is asked about again.
    next_poll = now + base * poll_factor(base, now - job.created_at)
    return JobUpdate(job.id, obs.state, obs.progress, obs.status_text,
                     preview_url=obs.preview_url, next_poll_at=next_poll, deadline=deadline)


def changes(job: PolledJob, obs: Observation) -> bool:
    """Whether ``obs`` says something the stored job does not."""
    return not (
        obs.state is job.state and obs.progress == job.progress
        and obs.status_text == job.progress_text
        and (obs.preview_url is None or same_preview(obs.preview_url, job.preview_url))
    )


def same_preview(url: str, stored: str | None) -> bool:
    """Whether ``url`` names the preview ``stored`` names. new-api's image proxy adds
    ``?rand=<ns>`` to a running task's link in every answer (to defeat caches), so
    links differing only there are the same preview until the progress moves: the
    update that carries the new progress stores the new link, and the status message
    then downloads the image again (:mod:`bot.jobs.status`)."""
    if url == stored:
        return True
    if stored is None or "rand=" not in url:
        return False
    return _without_rand(url) == _without_rand(stored)


def _without_rand(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("rand="))
    return urlunsplit(parts._replace(query=query))


def timed_out(job: PolledJob, reason: str | None = None) -> JobUpdate:
    return JobUpdate(job.id, JobState.TIMED_OUT, job.progress, job.progress_text or "",
                     error=reason)
