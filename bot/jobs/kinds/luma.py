"""Luma jobs (``kind = "luma"``): one request per generation, delivered as a video file."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.core.models import Reply
from bot.core.texts import t
from bot.jobs.kinds.base import (
    KindPoller,
    Observation,
    PollOutcome,
    ResultTools,
    bounded,
    lost,
    relay_words,
)
from bot.jobs.records import JobRequest, short
from bot.lenient import as_dict, as_str, opt_str
from bot.relay import RelayClient
from bot.relay.errors import NotFoundError, RelayError
from bot.relay.types import LumaGeneration, LumaState
from bot.store.base import Job, JobState, JsonValue, PolledJob

log = logging.getLogger(__name__)

NAME: Final = "luma"
DEADLINE_S: Final = 30 * 60.0  # renders take minutes
_STATES: Final = {
    LumaState.PENDING: (JobState.SUBMITTED, 0),
    LumaState.PROCESSING: (JobState.RUNNING, 50),
    LumaState.COMPLETED: (JobState.SUCCEEDED, 100),
    LumaState.FAILED: (JobState.FAILED, 100),
    LumaState.UNKNOWN: (JobState.RUNNING, 10),
}


@dataclass(frozen=True, slots=True)
class LumaRequest:
    """The Luma keys of ``Job.request``: the frames the video starts and ends on."""

    start_image: str | None = None
    end_image: str | None = None

    @classmethod
    def of(cls, job: Job) -> LumaRequest:
        data = as_dict(job.request)
        return cls(opt_str(data.get("start_image")), opt_str(data.get("end_image")))

    def to_json(self) -> dict[str, JsonValue]:
        return {"start_image": self.start_image, "end_image": self.end_image}


@dataclass(frozen=True, slots=True)
class LumaResult:
    """``Job.result`` of a succeeded Luma job."""

    video_url: str
    download_url: str | None = None
    thumbnail_url: str | None = None
    prompt: str = ""

    @classmethod
    def of(cls, job: Job) -> LumaResult:
        data = as_dict(job.result)
        return cls(as_str(data.get("video_url")), opt_str(data.get("download_url")),
                   opt_str(data.get("thumbnail_url")), as_str(data.get("prompt")))

    def to_json(self) -> JsonValue:
        return {"video_url": self.video_url, "download_url": self.download_url,
                "thumbnail_url": self.thumbnail_url, "prompt": self.prompt}


def observe(generation: LumaGeneration) -> Observation:
    state, progress = _STATES[generation.state]
    word = generation.state.value
    if state is JobState.FAILED:
        return Observation(state, progress, word, error=generation.failure_reason or "")
    if state is JobState.SUCCEEDED:
        video = generation.video_url or generation.video_download_url
        if video is None:  # "completed" without a file yet: keep polling
            return Observation(JobState.RUNNING, 95, word)
        result = LumaResult(video, generation.video_download_url, generation.thumbnail_url,
                            generation.prompt)
        return Observation(state, progress, word, result=result.to_json())
    return Observation(state, progress, word, generation.thumbnail_url)


class LumaPoller:
    def __init__(self, relay: RelayClient) -> None:
        self._relay = relay

    async def poll(self, jobs: Sequence[PolledJob]) -> list[PollOutcome]:
        return await bounded(jobs, self._poll_one)

    async def _poll_one(self, job: PolledJob) -> PollOutcome:
        task_id = job.relay_task_id or ""
        try:
            return PollOutcome(job, observe(await self._relay.luma.task(task_id)))
        except NotFoundError as exc:
            return lost(job, str(exc))
        except RelayError as exc:
            log.info("poll of job %s (luma %s) failed, will retry: %s", job.id, task_id, exc)
            return PollOutcome(job, retry_reason=str(exc))


class Luma:
    name: Final = NAME
    takes_callbacks: Final = False

    def deadline_s(self, job: PolledJob) -> float:
        return DEADLINE_S

    def title(self, action: str, locale: str) -> str:
        return t("jobs.title.luma", locale, action=action or "video")

    def progress_detail(self, job: Job, locale: str) -> str:
        return relay_words(job.progress_text or "", locale)

    def button_names(self, custom_id: str) -> tuple[str, ...]:
        return ()  # its buttons carry words

    def poller(self, relay: RelayClient, clock: Callable[[], float]) -> KindPoller:
        return LumaPoller(relay)

    async def replies(self, job: Job, locale: str, tools: ResultTools) -> list[Reply]:
        result = LumaResult.of(job)
        prompt = result.prompt or JobRequest.of(job).prompt
        caption = t("video.result", locale, id=job.id, prompt=short(prompt, 700))
        video = await tools.fetch(result.video_url, "video")
        if video is None and result.download_url:
            video = await tools.fetch(result.download_url, "video")
        if video is None:
            return [Reply(t("jobs.file_unavailable", locale, text=caption,
                            url=result.video_url))]
        return [Reply(caption, files=(video,))]


KIND: Final = Luma()
