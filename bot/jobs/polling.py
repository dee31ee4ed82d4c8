"""Asking the relay how active jobs are doing: each kind's own poller, all at once.

Every kind gets one :class:`~bot.jobs.kinds.base.KindPoller` per tracker (Midjourney's
remembers whether the relay takes batch requests). A job of a kind nobody registered is
not silently skipped: it fails, and the log says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from bot.jobs.kinds import UnknownJobKindError, kind_of
from bot.jobs.kinds.base import KindPoller, Observation, PollOutcome
from bot.relay import RelayClient
from bot.store.base import Job, JobState

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

    async def poll(self, jobs: Sequence[Job]) -> list[PollOutcome]:
        """An outcome for every job with a relay task id; kinds are polled concurrently."""
        by_kind: dict[str, list[Job]] = {}
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
