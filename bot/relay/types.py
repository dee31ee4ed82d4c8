"""Typed inputs and results of the relay client.

Everything here is a frozen, slotted dataclass or a ``StrEnum``; raw JSON shapes stay in
``wire.py``. Status enums fall back to ``UNKNOWN`` for values the relay adds later, so a
new upstream status never breaks a poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

MjMode = Literal["fast", "relax", "turbo"]
SunoVersion = Literal["v3.0", "v3.5"]
ChatRole = Literal["system", "user", "assistant"]


def _empty_mapping() -> Mapping[str, object]:
    return MappingProxyType({})


class _LenientEnum(StrEnum):
    """A ``StrEnum`` that matches case-insensitively and maps anything else to UNKNOWN."""

    @classmethod
    def _missing_(cls, value: object) -> _LenientEnum | None:
        text = str(value).strip().lower()
        for member in cls:
            if member.value.lower() == text:
                return member
        return cls.__members__.get("UNKNOWN")


# --- chat / completions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image for vision models: an http(s) URL or a ``data:image/...;base64,`` URI."""

    url: str
    detail: Literal["low", "high", "auto"] | None = None


ContentPart = TextPart | ImagePart


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: ChatRole
    content: str | tuple[ContentPart, ...]


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True, slots=True)
class ChatResult:
    text: str
    model: str
    finish_reason: str | None
    usage: Usage | None


@dataclass(frozen=True, slots=True)
class ChatDelta:
    """One streamed piece (chat or legacy completions). Any field may be empty."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class ChatImages:
    """A chat answer from an image model, split into prose and image links."""

    text_without_images: str
    image_urls: tuple[str, ...]
    model: str = ""


@dataclass(frozen=True, slots=True)
class CompletionResult:
    text: str
    model: str
    finish_reason: str | None
    usage: Usage | None


# --- images / embeddings / audio ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImageResult:
    """One DALL·E image: ``url`` (expires in about an hour) or ``b64_json``."""

    url: str | None
    b64_json: str | None
    revised_prompt: str | None


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    vectors: tuple[tuple[float, ...], ...]
    model: str
    usage: Usage | None


@dataclass(frozen=True, slots=True)
class TranscriptSegment:
    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcript:
    """``text`` is the transcript, or the raw subtitle file for srt / vtt formats."""

    text: str
    language: str | None = None
    duration: float | None = None
    segments: tuple[TranscriptSegment, ...] = ()


@dataclass(frozen=True, slots=True)
class Speech:
    audio: bytes
    content_type: str


# --- Midjourney ---------------------------------------------------------------------


class MjStatus(_LenientEnum):
    NOT_START = "NOT_START"
    SUBMITTED = "SUBMITTED"
    IN_PROGRESS = "IN_PROGRESS"
    MODAL = "MODAL"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCEL = "CANCEL"
    UNKNOWN = "UNKNOWN"

    @property
    def is_final(self) -> bool:
        return self in (MjStatus.SUCCESS, MjStatus.FAILURE, MjStatus.CANCEL)


class MjAction(_LenientEnum):
    IMAGINE = "IMAGINE"
    UPSCALE = "UPSCALE"
    VARIATION = "VARIATION"
    HIGH_VARIATION = "HIGH_VARIATION"
    LOW_VARIATION = "LOW_VARIATION"
    REROLL = "REROLL"
    ZOOM = "ZOOM"
    CUSTOM_ZOOM = "CUSTOM_ZOOM"
    PAN = "PAN"
    INPAINT = "INPAINT"
    MODAL = "MODAL"
    DESCRIBE = "DESCRIBE"
    BLEND = "BLEND"
    SHORTEN = "SHORTEN"
    SWAP_FACE = "SWAP_FACE"
    UPLOAD = "UPLOAD"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class MjButton:
    """A clickable next step. Send ``custom_id`` back unchanged to ``mj.action``."""

    custom_id: str
    label: str = ""
    emoji: str = ""
    style: int = 2


@dataclass(frozen=True, slots=True)
class MjSubmit:
    """An accepted Midjourney submit (codes 1 / 21 / 22 with a task id).

    ``needs_modal``: the action opened a window; call ``mj.modal(task_id, ...)`` next.
    ``existing_status`` / ``existing_image_url``: the same job already exists (code 21).
    ``queue_position``: jobs ahead of this one (code 22), None when not queued.
    """

    task_id: str
    code: int
    description: str
    queue_position: int | None = None
    final_prompt: str | None = None
    existing_status: MjStatus | None = None
    existing_image_url: str | None = None
    needs_modal: bool = False


@dataclass(frozen=True, slots=True)
class MjTask:
    id: str
    action: MjAction
    status: MjStatus
    progress: int
    prompt: str = ""
    prompt_en: str = ""
    description: str = ""
    image_url: str | None = None
    fail_reason: str = ""
    buttons: tuple[MjButton, ...] = ()
    final_prompt: str | None = None
    state: str = ""
    custom_id: str = ""
    bot_type: str = ""
    message_hash: str | None = None
    submit_time_ms: int | None = None
    start_time_ms: int | None = None
    finish_time_ms: int | None = None
    properties: Mapping[str, object] = field(default_factory=_empty_mapping, compare=False)


@dataclass(frozen=True, slots=True)
class MjPage:
    tasks: tuple[MjTask, ...]
    total: int
    page_number: int
    page_size: int
    total_pages: int


@dataclass(frozen=True, slots=True)
class MjImage:
    data: bytes
    content_type: str


# --- Suno ---------------------------------------------------------------------------


class SunoTaskStatus(_LenientEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    UNKNOWN = "unknown"


class SunoClipStatus(_LenientEnum):
    SUBMITTED = "submitted"
    QUEUED = "queued"
    STREAMING = "streaming"
    COMPLETE = "complete"
    ERROR = "error"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SunoClip:
    id: str
    status: SunoClipStatus
    title: str = ""
    audio_url: str | None = None
    video_url: str | None = None
    image_url: str | None = None
    image_large_url: str | None = None
    tags: str = ""
    duration: float | None = None
    lyrics: str = ""
    type: str = ""
    model_name: str = ""
    is_video_pending: bool = False
    error_message: str | None = None
    created_at: str | None = None


@dataclass(frozen=True, slots=True)
class SunoTask:
    task_id: str
    status: SunoTaskStatus
    clips: tuple[SunoClip, ...]

    @property
    def is_done(self) -> bool:
        """Completed and every clip finished (complete or error)."""
        return self.status is SunoTaskStatus.COMPLETED and all(
            clip.status in (SunoClipStatus.COMPLETE, SunoClipStatus.ERROR) for clip in self.clips
        )


# --- Luma ---------------------------------------------------------------------------


class LumaState(_LenientEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LumaGeneration:
    id: str
    state: LumaState
    prompt: str = ""
    video_url: str | None = None
    video_download_url: str | None = None
    thumbnail_url: str | None = None
    last_frame_url: str | None = None
    failure_reason: str | None = None
    created_at: str | None = None
