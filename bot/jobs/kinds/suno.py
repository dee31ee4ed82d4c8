"""Suno jobs (``kind = "suno"``): one request per task, both clips delivered as audio.

Each clip goes out as audio with its title, performer, duration and, when a cover fits
Telegram's rule for thumbnails, that cover as a thumbnail; the large cover is still sent
as an image. Under each clip: Extend (:class:`SunoExtendPayload`) and, for an extended
v3.0 clip, Full song (:class:`SunoConcatPayload`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from bot.core.models import OutgoingFile, Reply
from bot.core.texts import has_text, t
from bot.jobs.kinds.base import (
    DEFAULT_DEADLINE_S,
    KindPoller,
    Observation,
    PollOutcome,
    ResultTools,
    bounded,
    lost,
    relay_words,
)
from bot.lenient import as_dict, as_list, as_str, opt_float, opt_str
from bot.media import image_size
from bot.relay import RelayClient
from bot.relay.errors import NotFoundError, RelayError
from bot.relay.types import SunoClip, SunoClipStatus, SunoTask, SunoTaskStatus, SunoVersion
from bot.store.base import ButtonSpec, Job, JobState, JsonValue, PolledJob

log = logging.getLogger(__name__)

NAME: Final = "suno"
SUNO_EXTEND: Final = "suno_extend"
SUNO_CONCAT: Final = "suno_concat"
SUNO_PERFORMER: Final = "Suno"
# Telegram shows an audio's cover only from a JPEG of at most 320x320 pixels and 200 kB;
# anything else it drops, so such covers are not offered as thumbnails at all.
THUMBNAIL_MAX_BYTES: Final = 200 * 1000  # "less than 200 kB"
THUMBNAIL_MAX_SIDE: Final = 320
_LYRICS_KEPT: Final = 3000
# How far a Suno clip is, for a progress bar (Suno itself reports no percentage).
_CLIP_PERCENT: Final = {
    SunoClipStatus.SUBMITTED: 5,
    SunoClipStatus.QUEUED: 25,
    SunoClipStatus.STREAMING: 70,
    SunoClipStatus.COMPLETE: 100,
    SunoClipStatus.ERROR: 100,
    SunoClipStatus.UNKNOWN: 10,
}


def version_of(value: object) -> SunoVersion:
    return "v3.5" if value == "v3.5" else "v3.0"


# -- stored shapes -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SunoRequest:
    """The Suno keys of ``Job.request`` (next to :class:`bot.jobs.records.JobRequest`)."""

    extends: str = ""  # the clip an Extend continues
    continue_at: float | None = None
    concat_of: str = ""  # the clip whose parts a Full song joins

    @classmethod
    def of(cls, job: Job) -> SunoRequest:
        data = as_dict(job.request)
        return cls(as_str(data.get("extends")), opt_float(data.get("continue_at")),
                   as_str(data.get("concat_of")))

    def to_json(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {}
        if self.extends:
            data.update(extends=self.extends, continue_at=self.continue_at)
        if self.concat_of:
            data["concat_of"] = self.concat_of
        return data


@dataclass(frozen=True, slots=True)
class SunoClipResult:
    id: str
    status: str
    title: str = ""
    audio_url: str | None = None
    image_url: str | None = None  # the large cover when there is one
    thumbnail_url: str | None = None  # the small cover: may fit a Telegram thumbnail
    tags: str = ""
    duration: float | None = None
    lyrics: str = ""
    type: str = ""
    error: str | None = None

    @classmethod
    def of(cls, value: object) -> SunoClipResult:
        data = as_dict(value)
        return cls(
            id=as_str(data.get("id")), status=as_str(data.get("status")),
            title=as_str(data.get("title")), audio_url=opt_str(data.get("audio_url")),
            image_url=opt_str(data.get("image_url")),
            thumbnail_url=opt_str(data.get("thumbnail_url")), tags=as_str(data.get("tags")),
            duration=opt_float(data.get("duration")), lyrics=as_str(data.get("lyrics")),
            type=as_str(data.get("type")), error=opt_str(data.get("error")),
        )

    @classmethod
    def from_clip(cls, clip: SunoClip) -> SunoClipResult:
        return cls(
            id=clip.id, status=clip.status.value, title=clip.title, audio_url=clip.audio_url,
            image_url=clip.image_large_url or clip.image_url, thumbnail_url=clip.image_url,
            tags=clip.tags, duration=clip.duration, lyrics=clip.lyrics[:_LYRICS_KEPT],
            type=clip.type, error=clip.error_message,
        )

    def to_json(self) -> JsonValue:
        return {
            "id": self.id, "status": self.status, "title": self.title,
            "audio_url": self.audio_url, "image_url": self.image_url,
            "thumbnail_url": self.thumbnail_url, "tags": self.tags, "duration": self.duration,
            "lyrics": self.lyrics, "type": self.type, "error": self.error,
        }


def clips_of(job: Job) -> list[SunoClipResult]:
    """The clips of a succeeded Suno job's result."""
    return [SunoClipResult.of(item) for item in as_list(as_dict(job.result).get("clips"))]


@dataclass(frozen=True, slots=True)
class SunoExtendPayload:
    """The Extend button under a clip."""

    clip: str
    version: SunoVersion = "v3.0"
    title: str = ""
    tags: str = ""
    lyrics: str = ""
    duration: float | None = None

    @classmethod
    def of(cls, payload: JsonValue) -> SunoExtendPayload:
        data = as_dict(payload)
        return cls(as_str(data.get("clip")), version_of(data.get("version")),
                   as_str(data.get("title")), as_str(data.get("tags")),
                   as_str(data.get("lyrics")), opt_float(data.get("duration")))

    def to_json(self) -> dict[str, JsonValue]:
        return {"clip": self.clip, "version": self.version, "title": self.title,
                "tags": self.tags, "lyrics": self.lyrics, "duration": self.duration}


@dataclass(frozen=True, slots=True)
class SunoConcatPayload:
    """The Full song button under an extended v3.0 clip."""

    clip: str

    @classmethod
    def of(cls, payload: JsonValue) -> SunoConcatPayload:
        return cls(as_str(as_dict(payload).get("clip")))

    def to_json(self) -> JsonValue:
        return {"clip": self.clip}


# -- reading answers ---------------------------------------------------------------------


def observe(task: SunoTask) -> Observation:
    clips = task.clips
    percent = round(sum(_CLIP_PERCENT[c.status] for c in clips) / len(clips)) if clips else 0
    word = task.status.value
    if task.status is SunoTaskStatus.FAILED or (
        task.is_done and clips and all(c.status is SunoClipStatus.ERROR for c in clips)
    ):
        reason = next((c.error_message for c in clips if c.error_message), None)
        return Observation(JobState.FAILED, 100, word, error=reason or "")
    if task.is_done and clips:
        result: JsonValue = {"clips": [SunoClipResult.from_clip(c).to_json() for c in clips]}
        return Observation(JobState.SUCCEEDED, 100, word, result=result)
    state = JobState.SUBMITTED if task.status is SunoTaskStatus.PENDING else JobState.RUNNING
    if clips:
        # Each distinct clip state once: two queued clips are "queued", not "queued, queued".
        word = ", ".join(dict.fromkeys(c.status.value for c in clips))
    preview = next((c.image_url for c in clips if c.image_url), None)
    return Observation(state, min(percent, 99), word, preview)


class SunoPoller:
    def __init__(self, relay: RelayClient) -> None:
        self._relay = relay

    async def poll(self, jobs: Sequence[PolledJob]) -> list[PollOutcome]:
        return await bounded(jobs, self._poll_one)

    async def _poll_one(self, job: PolledJob) -> PollOutcome:
        task_id = job.relay_task_id or ""
        version: SunoVersion = "v3.0" if job.relay_version == "v3.0" else "v3.5"
        try:
            return PollOutcome(job, observe(await self._relay.suno.fetch(version, task_id)))
        except NotFoundError as exc:
            return lost(job, str(exc))
        except RelayError as exc:
            log.info("poll of job %s (suno %s) failed, will retry: %s", job.id, task_id, exc)
            return PollOutcome(job, retry_reason=str(exc))


# -- delivering --------------------------------------------------------------------------


def fits_thumbnail(data: bytes) -> bool:
    """Whether ``data`` is a JPEG small enough to be an audio thumbnail (Telegram's rule)."""
    if not data.startswith(b"\xff\xd8\xff") or len(data) >= THUMBNAIL_MAX_BYTES:
        return False
    size = image_size(data)
    return size is not None and min(size) > 0 and max(size) <= THUMBNAIL_MAX_SIDE


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class Suno:
    name: Final = NAME
    takes_callbacks: Final = False

    def deadline_s(self, job: PolledJob) -> float:
        return DEFAULT_DEADLINE_S

    def title(self, action: str, locale: str) -> str:
        key = f"jobs.action.{action}"  # a button's action ("extend"), else the command name
        shown = t(key, locale) if has_text(key) else action
        return t("jobs.title.suno", locale, action=shown or "music")

    def progress_detail(self, job: Job, locale: str) -> str:
        return relay_words(job.progress_text or "", locale)

    def button_names(self, custom_id: str) -> tuple[str, ...]:
        return ()  # its buttons carry words

    def poller(self, relay: RelayClient, clock: Callable[[], float]) -> KindPoller:
        return SunoPoller(relay)

    async def replies(self, job: Job, locale: str, tools: ResultTools) -> list[Reply]:
        version = version_of(job.relay_version)
        extended = bool(SunoRequest.of(job).extends)
        replies: list[Reply] = []
        for clip in clips_of(job):
            title = clip.title or t("music.untitled", locale)
            if clip.status == "error" or not clip.audio_url:
                reason = clip.error or t("jobs.no_reason", locale)
                replies.append(Reply(t("music.clip_failed", locale, title=title, reason=reason)))
                continue
            duration = clip.duration
            caption = t("music.result", locale, title=title, id=job.id, tags=clip.tags or "-",
                        duration=_minutes(duration) if duration else "?")
            extend = SunoExtendPayload(clip.id, version, title, clip.tags, clip.lyrics[:1500],
                                       duration)
            specs = [ButtonSpec(SUNO_EXTEND, t("music.extend", locale), payload=extend.to_json())]
            if extended and version == "v3.0":
                specs.append(ButtonSpec(SUNO_CONCAT, t("music.full_song", locale),
                                        payload=SunoConcatPayload(clip.id).to_json()))
            rows = await tools.rows(job, specs)
            audio = await tools.fetch(clip.audio_url, "audio")
            cover = await tools.fetch(clip.image_url, "image")
            if audio is not None:
                audio = replace(audio, title=title, performer=SUNO_PERFORMER,
                                duration_s=duration,
                                thumbnail=await _thumbnail(clip, cover, tools))
            files = tuple(f for f in (audio, cover) if f is not None)
            if audio is None:
                caption = t("jobs.file_unavailable", locale, text=caption,
                            url=clip.audio_url or "")
            replies.append(Reply(caption, files=files, buttons=rows))
        return replies or [Reply(t("jobs.failed", locale, id=job.id,
                                   relay_id=job.relay_task_id or "?",
                                   reason=t("music.no_clips", locale)))]


async def _thumbnail(
    clip: SunoClipResult, cover: OutgoingFile | None, tools: ResultTools
) -> bytes | None:
    """The cover as an audio thumbnail: the one already fetched when it fits, else Suno's
    small cover (the fetched one is usually the large); None if neither fits."""
    if cover is not None and fits_thumbnail(cover.data):
        return cover.data
    small_url = clip.thumbnail_url
    if not small_url or small_url == clip.image_url:
        return None
    small = await tools.fetch(small_url, "image", max_bytes=THUMBNAIL_MAX_BYTES)
    if small is None or not fits_thumbnail(small.data):
        log.info("Suno cover %s is no thumbnail (JPEG <= 320x320, 200 kB)", small_url)
        return None
    return small.data


KIND: Final = Suno()
