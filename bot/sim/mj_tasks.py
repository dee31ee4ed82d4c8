"""Simulated Midjourney tasks: their life cycle and their wire shape (RELAY_API §5.3).

A task moves SUBMITTED 0 % → IN_PROGRESS (preview image) → SUCCESS 100 % with the real
button list for its action, or FAILURE when its prompt holds ``[fail]``. MODAL tasks wait
for ``/mj/submit/modal``; CANCEL and pinned statuses freeze it. See :mod:`bot.sim.progress`
for how polls move it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.sim import media
from bot.sim.envelopes import Samples
from bot.sim.media_routes import image_url
from bot.sim.mj_buttons import IMAGE_ACTIONS, buttons_for, describe_lines, shorten_text
from bot.sim.progress import IdMaker, Progress, SimConfig, digest, stable_uuid, wall_ms

QUEUE_STATUSES = frozenset({"NOT_START", "SUBMITTED", "IN_PROGRESS"})
FINAL_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCEL"})
_ASPECT = re.compile(r"--(?:ar|aspect)\s+(\d+)\s*:\s*(\d+)")
_TAKES = re.compile(r"\[takes (\d+(?:\.\d+)?)s\]")
_INSTANCE = "1276443590224072795"


@dataclass
class MjTask:
    """Everything the simulator knows about one task; :meth:`MjBook.render` makes the wire dict."""

    id: str
    action: str
    prompt: str
    progress: Progress
    custom_id: str = ""
    state: str = ""
    bot_type: str = "MID_JOURNEY"
    mode: str | None = None
    parent_id: str | None = None
    index: int = 0
    submit_ms: int = field(default_factory=wall_ms)
    start_ms: int = 0
    finish_ms: int = 0
    waiting_modal: bool = False
    cancelled: bool = False
    will_fail: bool = False
    pinned_status: str | None = None
    pinned_progress: str | None = None
    fail_reason: str = ""
    mask_base64: str = ""
    colour_seed: str = ""
    message_hash: str = ""
    # What the last poll answered, as JSON text, and what it depended on (see render_json).
    answered: tuple[tuple[object, ...], str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def status(self) -> str:
        if self.cancelled:
            return "CANCEL"
        if self.pinned_status is not None:
            return self.pinned_status
        if self.waiting_modal:
            return "MODAL"
        if self.progress.done:
            return "FAILURE" if self.will_fail else "SUCCESS"
        return "IN_PROGRESS" if self.progress.stage > 0 else "SUBMITTED"

    def progress_text(self, status: str) -> str:
        if self.pinned_progress is not None:
            return self.pinned_progress
        if status == "SUCCESS":
            return "100%"
        if status == "IN_PROGRESS":
            return f"{self.progress.percent}%"
        return "0%"

    def size(self) -> tuple[int, int]:
        match = _ASPECT.search(self.prompt)
        if match is None:
            return 256, 256
        return media.scaled_size(int(match.group(1)) * 1000, int(match.group(2)) * 1000)


def _duration(prompt: str) -> float | None:
    match = _TAKES.search(prompt)
    return float(match.group(1)) if match else None


class MjBook:
    """All tasks of one simulator, by id, in creation order."""

    def __init__(self, config: SimConfig, samples: Samples, ids: IdMaker) -> None:
        self.config = config
        self.samples = samples
        self.ids = ids
        self.tasks: dict[str, MjTask] = {}

    def create(
        self,
        action: str,
        prompt: str,
        *,
        mode: str | None = None,
        state: str = "",
        bot_type: str = "MID_JOURNEY",
        custom_id: str = "",
        parent: MjTask | None = None,
        index: int = 0,
        modal: bool = False,
        colour_seed: str | None = None,
    ) -> MjTask:
        task_id = self.ids.digits()
        task = MjTask(
            id=task_id,
            action=action,
            prompt=prompt,
            progress=Progress(self.config, duration_s=_duration(prompt)),
            custom_id=custom_id,
            state=state,
            bot_type=bot_type or "MID_JOURNEY",
            mode=mode,
            parent_id=parent.id if parent else None,
            index=index,
            waiting_modal=modal,
            will_fail="[fail]" in prompt,
            colour_seed=colour_seed if colour_seed is not None else prompt,
            message_hash=stable_uuid(f"mj-hash-{task_id}"),
        )
        if not modal:
            task.progress.start()
        self.tasks[task_id] = task
        self._stamp(task)
        return task

    def get(self, task_id: str) -> MjTask | None:
        return self.tasks.get(task_id)

    def observe(self, task: MjTask, *, advance: bool = True) -> None:
        if task.status() in FINAL_STATUSES or task.pinned_status is not None:
            return
        task.progress.observe(advance=advance)
        self._stamp(task)

    def want_modal(self, task: MjTask) -> None:
        task.pinned_status = task.pinned_progress = None
        task.waiting_modal = True
        task.progress.started_at = None
        self._stamp(task)

    def confirm_modal(self, task: MjTask, prompt: str, mask_base64: str) -> None:
        task.prompt = prompt or task.prompt
        task.mask_base64 = mask_base64
        task.will_fail = "[fail]" in task.prompt
        task.waiting_modal = False
        task.progress.start()
        self._stamp(task)

    def cancel(self, task: MjTask) -> None:
        task.cancelled = True
        task.fail_reason = "(simulated) cancelled by request"
        task.finish_ms = task.finish_ms or wall_ms()

    def pin(self, task: MjTask, status: str, *, progress: str | None, fail_reason: str) -> None:
        task.pinned_status = status
        task.pinned_progress = progress
        task.fail_reason = fail_reason or task.fail_reason
        if status == "SUCCESS":
            task.progress.finish()
        self._stamp(task)

    def _stamp(self, task: MjTask) -> None:
        status = task.status()
        if status in ("IN_PROGRESS", "SUCCESS", "FAILURE") and not task.start_ms:
            task.start_ms = wall_ms()
        if status in FINAL_STATUSES and not task.finish_ms:
            task.finish_ms = wall_ms()
        if status == "FAILURE" and not task.fail_reason:
            task.fail_reason = "[Job failed] (simulated) the prompt asked for a failure"

    def image_seed(self, task: MjTask) -> str:
        return str(int(digest(f"seed-{task.id}", 8), 16) % 4_000_000_000)

    def render(self, task: MjTask, base: str) -> dict[str, Any]:
        """The task as ``GET /mj/task/{id}/fetch`` returns it."""
        status = task.status()
        body: dict[str, Any] = {
            "id": task.id,
            "action": task.action,
            "customId": task.custom_id,
            "prompt": task.prompt,
            "promptEn": task.prompt,
            "description": "Submit success",
            "state": task.state,
            "submitTime": task.submit_ms,
            "startTime": task.start_ms,
            "finishTime": task.finish_ms if status in FINAL_STATUSES else 0,
            "imageUrl": self._image_url(task, status, base),
            "status": status,
            "progress": task.progress_text(status),
            "failReason": task.fail_reason if status in ("FAILURE", "CANCEL") else "",
            "buttons": [],
            "botType": task.bot_type,
            "maskBase64": task.mask_base64,
            "properties": self._properties(task, status),
        }
        if status == "MODAL":
            body["description"] = "Waiting for window confirm"
        if status == "SUCCESS":
            body["buttons"] = buttons_for(self.samples, task.action, task.message_hash)
            self._fill_text_results(task, body)
        if self.config.new_api_mode:
            return self._relay_reduced(task, body, base)
        return body

    def render_json(self, task: MjTask, base: str) -> str:
        """:meth:`render` as JSON text; a poll that finds the task as the last one did
        reuses that text (thousands of tasks are polled every few seconds in benchmarks)."""
        if self.config.new_api_mode:  # its image links change on every poll
            return json.dumps(self.render(task, base), ensure_ascii=False)
        status = task.status()
        key = (status, task.progress_text(status), task.progress.stage, base, task.prompt,
               task.state, task.start_ms, task.finish_ms, task.fail_reason, task.mask_base64,
               task.action, task.custom_id, task.bot_type, task.colour_seed, task.message_hash)
        cached = task.answered
        if cached is not None and cached[0] == key:
            return cached[1]
        text = json.dumps(self.render(task, base), ensure_ascii=False)
        # A finished task is rarely asked about again: thousands of them keep no copy.
        task.answered = (key, text) if status not in FINAL_STATUSES else None
        return text

    def _fill_text_results(self, task: MjTask, body: dict[str, Any]) -> None:
        if task.action == "DESCRIBE":
            lines = "\n\n".join(describe_lines(task.colour_seed[:8]))
            body["prompt"] = body["promptEn"] = body["properties"]["finalPrompt"] = lines
        elif task.action == "SHORTEN":
            body["description"] = shorten_text(task.prompt)[0]

    def image_spec(self, task: MjTask) -> tuple[media.RGB, int, int, str] | None:
        """Colour, size and URL token of the task's current image (None: no image now)."""
        status = task.status()
        width, height = task.size()
        rgb = media.colour_for(task.colour_seed)
        if status == "SUCCESS" and (task.action in IMAGE_ACTIONS or task.action == "DESCRIBE"):
            return rgb, width, height, task.id
        if status == "IN_PROGRESS" and task.action in IMAGE_ACTIONS:
            dim = (rgb[0] // 2, rgb[1] // 2, rgb[2] // 2)
            return dim, width, height, f"{task.id}-preview-{task.progress.stage}"
        return None

    def _image_url(self, task: MjTask, status: str, base: str) -> str:
        spec = self.image_spec(task)
        if spec is None:
            return ""
        rgb, width, height, token = spec
        return image_url(base, rgb, token, width, height)

    def _properties(self, task: MjTask, status: str) -> dict[str, Any]:
        place = {"discordInstanceId": _INSTANCE, "discordChannelId": _INSTANCE}
        if status in ("SUBMITTED", "NOT_START", "CANCEL"):
            return place
        message_id = str(int(digest(f"msg-{task.id}-{status}", 12), 16) % 10**19).rjust(19, "1")
        props: dict[str, Any] = {"finalPrompt": task.prompt, "finalZhPrompt": ""}
        if status == "MODAL":
            props["remix"] = True
        if status in ("IN_PROGRESS", "SUCCESS"):
            props.update(messageId=message_id, flags=64 if status == "IN_PROGRESS" else 0)
            props["nonce"] = str(int(digest(f"nonce-{task.id}", 12), 16) % 10**19).rjust(19, "1")
        if status == "SUCCESS" and task.action in IMAGE_ACTIONS:
            props["messageHash"] = task.message_hash
        props.update(place)
        props.update(botType=task.bot_type, notifyHook="")
        return props

    def _relay_reduced(self, task: MjTask, body: dict[str, Any], base: str) -> dict[str, Any]:
        """new-api's ``coverMidjourneyTaskDto``: own-DB fields, proxied image URL."""
        props = body["properties"]
        body["properties"] = {
            "finalPrompt": props.get("finalPrompt", task.prompt),
            "finalZhPrompt": props.get("finalZhPrompt", ""),
        }
        body.update(customId="", botType="", maskBase64="")
        if body["imageUrl"]:
            url = f"{base}/mj/image/{task.id}"
            if body["status"] != "SUCCESS":
                url += f"?rand={self.config.clock() * 1e9:.0f}"
            body["imageUrl"] = url
        return body
