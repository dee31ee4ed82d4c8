"""Turning a relay task into what the tracker stores: state, progress, preview, result.

One function per kind; each is pure (task in, :class:`Observation` out), so the tracker's
polling code stays about batching and scheduling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.relay.types import (
    LumaGeneration,
    LumaState,
    MjStatus,
    MjTask,
    SunoClip,
    SunoClipStatus,
    SunoTask,
    SunoTaskStatus,
)
from bot.store.base import JobState, JsonValue

_MJ_STATES: Final = {
    MjStatus.NOT_START: JobState.SUBMITTED,
    MjStatus.SUBMITTED: JobState.SUBMITTED,
    MjStatus.IN_PROGRESS: JobState.RUNNING,
    MjStatus.MODAL: JobState.MODAL,
    MjStatus.SUCCESS: JobState.SUCCEEDED,
    MjStatus.FAILURE: JobState.FAILED,
    MjStatus.CANCEL: JobState.CANCELLED,
    MjStatus.UNKNOWN: JobState.RUNNING,
}
# How far a Suno clip is, for a progress bar (Suno itself reports no percentage).
_CLIP_PERCENT: Final = {
    SunoClipStatus.SUBMITTED: 5,
    SunoClipStatus.QUEUED: 25,
    SunoClipStatus.STREAMING: 70,
    SunoClipStatus.COMPLETE: 100,
    SunoClipStatus.ERROR: 100,
    SunoClipStatus.UNKNOWN: 10,
}
_LUMA_STATES: Final = {
    LumaState.PENDING: (JobState.SUBMITTED, 0),
    LumaState.PROCESSING: (JobState.RUNNING, 50),
    LumaState.COMPLETED: (JobState.SUCCEEDED, 100),
    LumaState.FAILED: (JobState.FAILED, 100),
    LumaState.UNKNOWN: (JobState.RUNNING, 10),
}


@dataclass(frozen=True, slots=True)
class Observation:
    state: JobState
    progress: int
    status_text: str  # the relay's own word for the state, shown in the progress message
    preview_url: str | None = None
    result: JsonValue = None  # set with an outcome state
    error: str | None = None


def observe_mj(task: MjTask) -> Observation:
    state = _MJ_STATES[task.status]
    progress = 100 if state is JobState.SUCCEEDED else max(0, min(100, task.progress))
    result: JsonValue = None
    if state is JobState.SUCCEEDED:
        result = {
            "task_id": task.id,
            "action": task.action.value,
            "image_url": task.image_url,
            "prompt": task.prompt,
            "final_prompt": task.final_prompt or task.prompt_en or task.prompt,
            "description": task.description,
            "buttons": [
                {"custom_id": b.custom_id, "label": b.label, "emoji": b.emoji}
                for b in task.buttons
            ],
        }
    error = (task.fail_reason or None) if state is JobState.FAILED else None
    preview = task.image_url if state is JobState.RUNNING else None
    return Observation(state, progress, task.status.value, preview, result, error)


def _clip_json(clip: SunoClip) -> JsonValue:
    return {
        "id": clip.id,
        "status": clip.status.value,
        "title": clip.title,
        "audio_url": clip.audio_url,
        "image_url": clip.image_large_url or clip.image_url,
        "thumbnail_url": clip.image_url,  # the small cover: may fit a Telegram thumbnail
        "tags": clip.tags,
        "duration": clip.duration,
        "lyrics": clip.lyrics[:3000],
        "type": clip.type,
        "error": clip.error_message,
    }


def observe_suno(task: SunoTask) -> Observation:
    clips = task.clips
    percent = round(sum(_CLIP_PERCENT[c.status] for c in clips) / len(clips)) if clips else 0
    word = task.status.value
    if task.status is SunoTaskStatus.FAILED or (
        task.is_done and clips and all(c.status is SunoClipStatus.ERROR for c in clips)
    ):
        reason = next((c.error_message for c in clips if c.error_message), None)
        return Observation(JobState.FAILED, 100, word, error=reason or "")
    if task.is_done and clips:
        result: JsonValue = {"clips": [_clip_json(c) for c in clips]}
        return Observation(JobState.SUCCEEDED, 100, word, result=result)
    state = JobState.SUBMITTED if task.status is SunoTaskStatus.PENDING else JobState.RUNNING
    if clips:
        word = ", ".join(c.status.value for c in clips)
    preview = next((c.image_url for c in clips if c.image_url), None)
    return Observation(state, min(percent, 99), word, preview)


def observe_luma(generation: LumaGeneration) -> Observation:
    state, progress = _LUMA_STATES[generation.state]
    word = generation.state.value
    if state is JobState.FAILED:
        return Observation(state, progress, word, error=generation.failure_reason or "")
    if state is JobState.SUCCEEDED:
        video = generation.video_url or generation.video_download_url
        if video is None:  # "completed" without a file yet: keep polling
            return Observation(JobState.RUNNING, 95, word)
        result: JsonValue = {
            "video_url": video,
            "download_url": generation.video_download_url,
            "thumbnail_url": generation.thumbnail_url,
            "prompt": generation.prompt,
        }
        return Observation(state, progress, word, result=result)
    return Observation(state, progress, word, generation.thumbnail_url)
