"""Simulated Suno tasks (GoAPI legacy format, RELAY_API §6).

Task status goes ``pending`` → ``processing`` → ``completed`` (``failed`` for ``[fail]``);
each of its clips ``submitted`` → ``queued`` → ``streaming`` → ``complete`` (``error``).
A generation makes two clips, a concat one clip with ``metadata.type == "concat"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.sim import media
from bot.sim.envelopes import Samples
from bot.sim.media_routes import audio_url, image_url, video_url
from bot.sim.progress import IdMaker, Progress, SimConfig


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class SunoTask:
    id: str
    version: str  # "v3.0" or "v3.5"
    request: dict[str, Any]
    clip_ids: list[str]
    progress: Progress
    will_fail: bool = False
    concat_of: str | None = None
    created_at: str = field(default_factory=iso_now)

    def inner(self) -> dict[str, Any]:
        inner = self.request.get("input")
        return inner if isinstance(inner, dict) else {}

    def title(self) -> str:
        description = str(self.inner().get("gpt_description_prompt") or "song")
        return str(self.inner().get("title") or "") or f"(simulated) {description[:40]}"

    def status(self) -> str:
        if self.progress.done:
            return "failed" if self.will_fail else "completed"
        return "processing" if self.progress.stage > 0 else "pending"

    def clip_status(self) -> str:
        if self.progress.done:
            return "error" if self.will_fail else "complete"
        if self.progress.stage == 0:
            return "submitted"
        return "queued" if self.progress.stage * 2 < self.progress.config.steps else "streaming"


class SunoBook:
    def __init__(self, config: SimConfig, samples: Samples, ids: IdMaker) -> None:
        self.config = config
        self.samples = samples
        self.ids = ids
        self.tasks: dict[str, SunoTask] = {}

    def create(
        self, version: str, request: dict[str, Any], *, concat_of: str | None = None
    ) -> SunoTask:
        clips = 1 if concat_of else 2
        text = json.dumps(request, ensure_ascii=False)
        task = SunoTask(
            id=self.ids.uuid("suno-task"),
            version=version,
            request=request,
            clip_ids=[self.ids.uuid("suno-clip") for _ in range(clips)],
            progress=Progress(self.config),
            will_fail="[fail]" in text,
            concat_of=concat_of,
        )
        task.progress.start()
        self.tasks[task.id] = task
        return task

    def get(self, task_id: str) -> SunoTask | None:
        return self.tasks.get(task_id)

    def require(self, task_id: str) -> SunoTask:
        task = self.tasks.get(task_id)
        if task is None:
            raise KeyError(f"no simulated Suno task {task_id}")
        return task

    def owner_of_clip(self, clip_id: str) -> SunoTask | None:
        return next((t for t in self.tasks.values() if clip_id in t.clip_ids), None)

    def render(self, task: SunoTask, base: str) -> dict[str, Any]:
        """The ``data`` of a fetch answer: status, the request as a JSON string, clips by id."""
        clips = {
            clip_id: self._clip(task, clip_id, n, base) for n, clip_id in enumerate(task.clip_ids)
        }
        return {
            "task_id": task.id,
            "status": task.status(),
            "input": json.dumps(self._input_record(task), ensure_ascii=False),
            "clips": clips,
        }

    def _input_record(self, task: SunoTask) -> dict[str, Any]:
        if task.concat_of is not None:
            return {"clip_id": task.concat_of}
        inner = task.inner()
        mv = task.request.get("mv") or ("chirp-v3-5" if task.version == "v3.5" else "chirp-v3-0")
        return {"custom_mode": bool(task.request.get("custom_mode")), **inner, "mv": mv}

    def _clip(self, task: SunoTask, clip_id: str, number: int, base: str) -> dict[str, Any]:
        clip: dict[str, Any] = self.samples.get("suno_v30_fetch_complete.json")["data"]["clips"][
            "a5c1d3e7-2b4f-4d6a-8c0e-1f3b5d7a9c2e"
        ]
        status = task.clip_status()
        record = self._input_record(task)
        description = str(record.get("gpt_description_prompt") or "")
        lyrics = (
            str(record.get("prompt") or "") or f"[Verse]\n(simulated) a song about {description}"
        )
        source = self.owner_of_clip(task.concat_of) if task.concat_of else None
        title = (source or task).title()
        rgb = media.colour_for(f"{task.id}-{number}")
        v35 = task.version == "v3.5"
        clip.update(
            id=clip_id,
            title=title,
            status=status,
            created_at=task.created_at,
            audio_url="",
            video_url="",
            image_url=image_url(base, rgb, f"{clip_id}-cover", 256, 256, ext="jpeg"),
            image_large_url=image_url(base, rgb, f"{clip_id}-cover-large", 1024, 1024,
                                      ext="jpeg"),
            is_video_pending=status != "complete",
            major_model_version="v3.5" if v35 else "v3",
            model_name="chirp-v3-5" if v35 else "chirp-v3",
        )
        if status == "streaming":
            clip["audio_url"] = audio_url(base, f"{clip_id}-stream")
        elif status == "complete":
            clip["audio_url"] = audio_url(base, clip_id)
            clip["video_url"] = video_url(base, clip_id)
        meta = clip["metadata"]
        meta.update(
            tags=str(record.get("tags") or "(simulated) pop"),
            prompt=lyrics,
            gpt_description_prompt=description or None,
            duration=(60.0 + 7.5 * number) if status == "complete" else None,
            type="concat" if task.concat_of else "gen",
            concat_history=[{"id": task.concat_of, "continue_at": None}]
            if task.concat_of
            else None,
            error_type="(simulated) failure" if status == "error" else None,
            error_message="(simulated) the prompt asked for a failure"
            if status == "error"
            else None,
        )
        return clip
