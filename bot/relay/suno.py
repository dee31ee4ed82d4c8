"""Suno music in the GoAPI legacy format (RELAY_API.md §6).

``v3.0`` lives under ``/suno/v1/v3.0/music``, ``v3.5`` under ``/suno/v1/music``. Answers
are wrapped as ``{"code": 200, "data": ..., "message": "success"}``; clips come as an
object keyed by clip id (documented) or a list (seen elsewhere) — both are read.
"""

from __future__ import annotations

from typing import get_args

from bot.lenient import as_bool, as_dict, as_list, as_str, first_present, opt_float, opt_str
from bot.relay.envelopes import unwrap_wrapper
from bot.relay.errors import RelayDecodeError
from bot.relay.transport import Transport
from bot.relay.types import SunoClip, SunoClipStatus, SunoTask, SunoTaskStatus, SunoVersion
from bot.relay.wire import SunoConcatRequest, SunoInputWire, SunoMusicRequest

VERSIONS: tuple[str, ...] = get_args(SunoVersion)
_BASE = {"v3.0": "/suno/v1/v3.0/music", "v3.5": "/suno/v1/music"}
_MODEL = {"v3.0": "chirp-v3-0", "v3.5": "chirp-v3-5"}


def base_path(version: str) -> str:
    try:
        return _BASE[version]
    except KeyError:
        raise ValueError(f"unknown Suno version {version!r}; expected one of {VERSIONS}") from None


def parse_task_id(body: object) -> str:
    data = unwrap_wrapper(body)
    task_id = as_str(as_dict(data).get("task_id")) if isinstance(data, dict) else as_str(data)
    if not task_id:
        raise RelayDecodeError("the Suno answer has no task_id")
    return task_id


def parse_clip(value: object) -> SunoClip:
    data = as_dict(value)
    meta = as_dict(data.get("metadata"))
    return SunoClip(
        id=as_str(data.get("id")),
        status=SunoClipStatus(as_str(data.get("status"), "unknown") or "unknown"),
        title=as_str(data.get("title")),
        audio_url=opt_str(data.get("audio_url")),
        video_url=opt_str(data.get("video_url")),
        image_url=opt_str(data.get("image_url")),
        image_large_url=opt_str(data.get("image_large_url")),
        tags=as_str(first_present(meta, "tags") or data.get("tags")),
        duration=opt_float(first_present(meta, "duration") or data.get("duration")),
        lyrics=as_str(first_present(meta, "prompt") or data.get("lyrics")),
        type=as_str(meta.get("type")),
        model_name=as_str(data.get("model_name")),
        is_video_pending=as_bool(data.get("is_video_pending")),
        error_message=opt_str(first_present(meta, "error_message", "error_type")),
        created_at=opt_str(data.get("created_at")),
    )


def parse_task(body: object, task_id: str) -> SunoTask:
    data = as_dict(unwrap_wrapper(body))
    if not data:
        raise RelayDecodeError("the Suno answer has no task")
    raw_clips = data.get("clips")
    items = list(as_dict(raw_clips).values()) if isinstance(raw_clips, dict) else as_list(raw_clips)
    clips = tuple(parse_clip(item) for item in items if as_dict(item))
    return SunoTask(
        task_id=as_str(data.get("task_id")) or task_id,
        status=SunoTaskStatus(as_str(data.get("status"), "unknown") or "unknown"),
        clips=clips,
    )


class SunoResource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def generate(
        self,
        version: SunoVersion = "v3.5",
        *,
        lyrics: str | None = None,
        description: str | None = None,
        title: str | None = None,
        tags: str | None = None,
        instrumental: bool = False,
        continue_clip_id: str | None = None,
        continue_at: float | None = None,
        model: str | None = None,
    ) -> str:
        """Start a song; returns the task id to ``fetch``. Paid: never retried once sent.

        Give ``lyrics`` (custom mode, with ``title`` / ``tags``) or ``description``
        (Suno writes the lyrics). ``continue_clip_id`` + ``continue_at`` extend a clip.
        """
        path = base_path(version)
        if (lyrics is None) == (description is None):
            raise ValueError("give exactly one of lyrics (custom mode) or description")
        song: SunoInputWire = {"make_instrumental": instrumental}
        if lyrics is not None:
            song["prompt"] = lyrics
        if description is not None:
            song["gpt_description_prompt"] = description
        if title is not None:
            song["title"] = title
        if tags is not None:
            song["tags"] = tags
        if continue_clip_id is not None:
            song["continue_clip_id"] = continue_clip_id
            song["continue_at"] = continue_at or 0
        request: SunoMusicRequest = {
            "custom_mode": lyrics is not None,
            "mv": model or _MODEL[version],
            "input": song,
        }
        body = await self._transport.request_json("POST", path, json_body=request)
        return parse_task_id(body)

    async def concat(self, clip_id: str) -> str:
        """Join an extended song into one track (v3.0 route); returns the new task id."""
        request: SunoConcatRequest = {"clip_id": clip_id}
        body = await self._transport.request_json(
            "POST", f"{base_path('v3.0')}/concat", json_body=request
        )
        return parse_task_id(body)

    async def fetch(self, version: SunoVersion, task_id: str) -> SunoTask:
        body = await self._transport.request_json(
            "GET", f"{base_path(version)}/{task_id}", idempotent=True
        )
        return parse_task(body, task_id)
