"""Asking the relay how active jobs are doing, with as few requests as possible.

Midjourney jobs are fetched in batches of up to 100 ids through
``POST /mj/task/list-by-condition`` (one request per batch per tick). A relay that refuses
that endpoint (404 / 400) is remembered and its jobs are fetched one by one from then on;
so are ids a batch answer leaves out. Suno and Luma have no batch endpoint: one request
per job, a few at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.jobs.observe import Observation, observe_luma, observe_mj, observe_suno
from bot.jobs.records import LUMA, MJ, SUNO
from bot.relay import RelayClient
from bot.relay.errors import BadRequestError, NotFoundError, RelayError
from bot.relay.types import MjTask, SunoVersion
from bot.store.base import Job, JobState

log = logging.getLogger(__name__)

BATCH_RETRY_S: Final = 600.0  # retry a refused list-by-condition after this
BATCH_SIZE: Final = 100
_PARALLEL_FETCHES: Final = 8


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one job found: an observation, or a reason to try again later."""

    job: Job
    observation: Observation | None = None
    retry_reason: str | None = None


class Poller:
    def __init__(
        self,
        relay: RelayClient,
        *,
        clock: Callable[[], float],
        batch_size: int = BATCH_SIZE,
        batch_retry_s: float = BATCH_RETRY_S,
    ) -> None:
        self._relay = relay
        self._clock = clock
        self._batch_size = batch_size
        self._batch_retry_s = batch_retry_s
        self._batch_refused_at: float | None = None

    @property
    def batch_supported(self) -> bool:
        """False for a while after the relay refused list-by-condition; then tried again,
        since a refusal may have been passing (a restarting relay, a proxy hiccup)."""
        refused = self._batch_refused_at
        return refused is None or self._clock() - refused >= self._batch_retry_s

    async def poll(self, jobs: Sequence[Job]) -> list[PollOutcome]:
        mj_jobs = [j for j in jobs if j.kind == MJ and j.relay_task_id]
        other_jobs = [j for j in jobs if j.kind in (SUNO, LUMA) and j.relay_task_id]
        outcomes = await self._poll_mj(mj_jobs)
        outcomes += await _bounded(other_jobs, self._poll_single)
        return outcomes

    async def _poll_mj(self, jobs: Sequence[Job]) -> list[PollOutcome]:
        found: dict[str, MjTask] = {}
        outcomes: list[PollOutcome] = []
        singles: list[Job] = list(jobs)
        if self.batch_supported and jobs:
            singles = []
            for start in range(0, len(jobs), self._batch_size):
                chunk = jobs[start : start + self._batch_size]
                batch = await self._fetch_batch(chunk)
                if batch is None:  # the relay refused the endpoint: per job for a while
                    singles.extend(jobs[start:])
                    break
                if isinstance(batch, str):
                    outcomes += [PollOutcome(job, retry_reason=batch) for job in chunk]
                    continue
                found.update((task.id, task) for task in batch)
                singles += [job for job in chunk if job.relay_task_id not in found]
        for job in jobs:
            task = found.get(job.relay_task_id or "")
            if task is not None:
                outcomes.append(PollOutcome(job, observe_mj(task)))
        outcomes += await _bounded(singles, self._poll_single)
        return outcomes

    async def _fetch_batch(self, chunk: Sequence[Job]) -> tuple[MjTask, ...] | str | None:
        """The tasks; None when the endpoint is refused; a reason string on other errors."""
        ids = [job.relay_task_id for job in chunk if job.relay_task_id]
        try:
            tasks = await self._relay.mj.fetch_many(ids)
        except (NotFoundError, BadRequestError) as exc:
            log.warning("relay refused list-by-condition (%s); polling tasks one by one", exc)
            self._batch_refused_at = self._clock()
            return None
        except RelayError as exc:
            log.info("Midjourney batch poll failed, will retry: %s", exc)
            return str(exc)
        self._batch_refused_at = None
        return tasks

    async def _poll_single(self, job: Job) -> PollOutcome:
        task_id = job.relay_task_id or ""
        try:
            if job.kind == MJ:
                return PollOutcome(job, observe_mj(await self._relay.mj.fetch(task_id)))
            if job.kind == SUNO:
                version: SunoVersion = "v3.0" if job.relay_version == "v3.0" else "v3.5"
                task = await self._relay.suno.fetch(version, task_id)
                return PollOutcome(job, observe_suno(task))
            return PollOutcome(job, observe_luma(await self._relay.luma.task(task_id)))
        except NotFoundError as exc:
            lost = Observation(JobState.FAILED, job.progress, "lost", error=f"unknown task: {exc}")
            return PollOutcome(job, lost)
        except RelayError as exc:
            log.info("poll of job %s (%s %s) failed, will retry: %s", job.id, job.kind,
                     task_id, exc)
            return PollOutcome(job, retry_reason=str(exc))


async def _bounded(
    jobs: Sequence[Job], poll: Callable[[Job], Awaitable[PollOutcome]]
) -> list[PollOutcome]:
    slots = asyncio.Semaphore(_PARALLEL_FETCHES)

    async def one(job: Job) -> PollOutcome:
        async with slots:
            return await poll(job)

    return list(await asyncio.gather(*(one(job) for job in jobs)))
