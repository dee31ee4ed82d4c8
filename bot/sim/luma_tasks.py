"""Simulated Luma generations: ``pending`` → ``processing`` → ``completed`` (``failed``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.sim import media
from bot.sim.envelopes import Samples
from bot.sim.media_routes import image_url, video_url
from bot.sim.progress import IdMaker, Progress, SimConfig
from bot.sim.suno_tasks import iso_now

_SIZES = {
    "16:9": (1360, 752),
    "9:16": (752, 1360),
    "1:1": (1024, 1024),
    "4:3": (1168, 864),
    "3:4": (864, 1168),
    "21:9": (1568, 672),
}


@dataclass
class LumaTask:
    id: str
    prompt: str
    aspect_ratio: str
    progress: Progress
    batch_id: str
    will_fail: bool = False
    created_at: str = field(default_factory=iso_now)

    def state(self) -> str:
        if self.progress.done:
            return "failed" if self.will_fail else "completed"
        return "processing" if self.progress.stage > 0 else "pending"


class LumaBook:
    def __init__(self, config: SimConfig, samples: Samples, ids: IdMaker) -> None:
        self.config = config
        self.samples = samples
        self.ids = ids
        self.tasks: dict[str, LumaTask] = {}

    def create(self, prompt: str, aspect_ratio: str) -> LumaTask:
        task = LumaTask(
            id=self.ids.uuid("luma"),
            prompt=prompt,
            aspect_ratio=aspect_ratio if aspect_ratio in _SIZES else "16:9",
            progress=Progress(self.config),
            batch_id=self.ids.uuid("luma-batch"),
            will_fail="[fail]" in prompt,
        )
        task.progress.start()
        self.tasks[task.id] = task
        return task

    def get(self, task_id: str) -> LumaTask | None:
        return self.tasks.get(task_id)

    def require(self, task_id: str) -> LumaTask:
        task = self.tasks.get(task_id)
        if task is None:
            raise KeyError(f"no simulated Luma generation {task_id}")
        return task

    def submitted(self, task: LumaTask) -> dict[str, Any]:
        """The generate answer (samples/luma_generation.json shape)."""
        return {
            "created_at": task.created_at,
            "estimate_wait_seconds": None,
            "id": task.id,
            "last_frame": None,
            "liked": None,
            "prompt": task.prompt,
            "state": "pending",
            "thumbnail": None,
            "video": None,
        }

    def render(self, task: LumaTask, base: str) -> dict[str, Any]:
        """The task answer; when completed, shaped like samples/luma_task_completed.json."""
        state = task.state()
        if state != "completed":
            pending = self.submitted(task)
            pending.update(state=state, batch_id=task.batch_id)
            if state == "processing":
                pending["estimate_wait_seconds"] = 10 * (self.config.steps - task.progress.stage)
            if state == "failed":
                pending["failure_reason"] = "(simulated) the prompt asked for a failure"
            return pending
        width, height = _SIZES[task.aspect_ratio]
        rgb = media.colour_for(task.prompt)
        body: dict[str, Any] = self.samples.get("luma_task_completed.json")
        still = {"width": width, "height": height}
        body.update(
            id=task.id,
            prompt=task.prompt,
            state="completed",
            created_at=task.created_at,
            batch_id=task.batch_id,
            video={
                "url": video_url(base, task.id),
                **still,
                "thumbnail": None,
                "download_url": video_url(base, f"{task.id}-download"),
            },
            video_raw={"url": video_url(base, f"{task.id}-raw"), **still},
            thumbnail={"url": image_url(base, rgb, f"{task.id}-thumb", width, height), **still},
            last_frame={"url": image_url(base, rgb, f"{task.id}-last", width, height), **still},
        )
        return body
