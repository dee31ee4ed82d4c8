"""Midjourney jobs (``kind = "mj"``): batched polling, the result image and its buttons.

Jobs are fetched in batches of up to 100 ids through ``POST /mj/task/list-by-condition``
(one request per batch). A relay that refuses that endpoint (404 / 400) is remembered and
its jobs are fetched one by one for a while; so are ids a batch answer leaves out.

A result button carries the task's own ``customId`` (:class:`MjButtonPayload`); a
/describe or /shorten result's numbered buttons also carry the prompt they stand for, so a
relay that cannot run the choice still lets the bot imagine that prompt.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from bot.core.models import Button, OutgoingFile, Reply
from bot.core.texts import LANGUAGES, t
from bot.jobs.kinds.base import (
    DEFAULT_DEADLINE_S,
    KindPoller,
    Observation,
    PollOutcome,
    ResultTools,
    bounded,
    lost,
)
from bot.jobs.records import JobRequest, short
from bot.lenient import as_dict, as_list, as_str, opt_str
from bot.relay import RelayClient
from bot.relay.errors import BadRequestError, NotFoundError, RelayError
from bot.relay.types import MjStatus, MjTask
from bot.store.base import ButtonSpec, Job, JobState, JsonValue, PolledJob

log = logging.getLogger(__name__)

NAME: Final = "mj"
MJ_ACTION: Final = "mj_action"  # the button kind of every result button
BATCH_SIZE: Final = 100
BATCH_RETRY_S: Final = 600.0  # retry a refused list-by-condition after this
# Relax mode queues for a long time.
_DEADLINES: Final = {"relax": 45 * 60.0}
_STATES: Final = {
    MjStatus.NOT_START: JobState.SUBMITTED,
    MjStatus.SUBMITTED: JobState.SUBMITTED,
    MjStatus.IN_PROGRESS: JobState.RUNNING,
    MjStatus.MODAL: JobState.MODAL,
    MjStatus.SUCCESS: JobState.SUCCEEDED,
    MjStatus.FAILURE: JobState.FAILED,
    MjStatus.CANCEL: JobState.CANCELLED,
    MjStatus.UNKNOWN: JobState.RUNNING,
}
_NUMBERED_RE: Final = re.compile(r"^\s*([1-9])\ufe0f?\u20e3\s*(.+?)\s*$", re.MULTILINE)
_PROMPT_CHOICE_RE: Final = re.compile(r"^MJ::Job::(PicReader|PromptAnalyzer)::(\d)$")
_TEXT_ACTIONS: Final = frozenset({"DESCRIBE", "SHORTEN"})


# -- stored shapes -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MjResultButton:
    custom_id: str
    label: str = ""
    emoji: str = ""


@dataclass(frozen=True, slots=True)
class MjResult:
    """``Job.result`` of a succeeded Midjourney job."""

    task_id: str
    action: str
    image_url: str | None = None
    prompt: str = ""
    final_prompt: str = ""
    description: str = ""
    buttons: tuple[MjResultButton, ...] = field(default=())

    @classmethod
    def of(cls, job: Job) -> MjResult:
        data = as_dict(job.result)
        buttons = tuple(
            MjResultButton(as_str(b.get("custom_id")), as_str(b.get("label")),
                           as_str(b.get("emoji")))
            for b in map(as_dict, as_list(data.get("buttons")))
        )
        return cls(
            task_id=as_str(data.get("task_id")) or job.relay_task_id or "",
            action=as_str(data.get("action")),
            image_url=opt_str(data.get("image_url")),
            prompt=as_str(data.get("prompt")),
            final_prompt=as_str(data.get("final_prompt")),
            description=as_str(data.get("description")),
            buttons=buttons,
        )

    @property
    def text(self) -> str:
        """What a /describe or /shorten answered (the prompts, numbered)."""
        text = self.final_prompt if self.action == "DESCRIBE" else ""
        return text or self.description or self.prompt

    def to_json(self) -> JsonValue:
        return {
            "task_id": self.task_id, "action": self.action, "image_url": self.image_url,
            "prompt": self.prompt, "final_prompt": self.final_prompt,
            "description": self.description,
            "buttons": [{"custom_id": b.custom_id, "label": b.label, "emoji": b.emoji}
                        for b in self.buttons],
        }


@dataclass(frozen=True, slots=True)
class MjButtonPayload:
    """What a result button remembers: the task, its speed mode, a chosen prompt."""

    task: str
    mode: str | None = None
    prompt: str = ""  # the numbered prompt of a /describe or /shorten choice

    @classmethod
    def of(cls, payload: JsonValue) -> MjButtonPayload:
        data = as_dict(payload)
        return cls(as_str(data.get("task")), opt_str(data.get("mode")),
                   as_str(data.get("prompt")))

    def to_json(self) -> JsonValue:
        data: dict[str, JsonValue] = {"task": self.task, "mode": self.mode}
        if self.prompt:
            data["prompt"] = self.prompt
        return data


def final_prompt_of(job: Job | None) -> str:
    """The prompt Midjourney ran for ``job`` (what a remix starts from)."""
    if job is None:
        return ""
    return MjResult.of(job).final_prompt or JobRequest.of(job).prompt


# -- reading answers ---------------------------------------------------------------------


def observe(task: MjTask) -> Observation:
    state = _STATES[task.status]
    progress = 100 if state is JobState.SUCCEEDED else max(0, min(100, task.progress))
    result: JsonValue = None
    if state is JobState.SUCCEEDED:
        result = MjResult(
            task_id=task.id,
            action=task.action.value,
            image_url=task.image_url,
            prompt=task.prompt,
            final_prompt=task.final_prompt or task.prompt_en or task.prompt,
            description=task.description,
            buttons=tuple(MjResultButton(b.custom_id, b.label, b.emoji) for b in task.buttons),
        ).to_json()
    error = (task.fail_reason or None) if state is JobState.FAILED else None
    preview = task.image_url if state is JobState.RUNNING else None
    return Observation(state, progress, task.status.value, preview, result, error)


class MidjourneyPoller:
    def __init__(
        self,
        relay: RelayClient,
        clock: Callable[[], float],
        *,
        batch_size: int = BATCH_SIZE,
        batch_retry_s: float = BATCH_RETRY_S,
    ) -> None:
        self._relay = relay
        self._clock = clock
        self._batch_size = batch_size
        self._batch_retry_s = batch_retry_s
        self._batch_refused_at: float | None = None
        self._batches_taken = False  # the relay answered a batch since the last refusal

    @property
    def batch_supported(self) -> bool:
        """False for a while after the relay refused list-by-condition; then tried again,
        since a refusal may have been passing (a restarting relay, a proxy hiccup)."""
        refused = self._batch_refused_at
        return refused is None or self._clock() - refused >= self._batch_retry_s

    async def poll(self, jobs: Sequence[PolledJob]) -> list[PollOutcome]:
        size = self._batch_size
        chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        # One answer per chunk; None: refused or not asked, so its jobs are fetched one by one.
        answers: list[tuple[MjTask, ...] | str | None] = [None] * len(chunks)
        if self.batch_supported and chunks:
            start = 0
            if not self._batches_taken:  # first learn whether the relay takes batches at all
                answers[0] = await self._fetch_batch(chunks[0])
                start = 1
            if start == 0 or answers[0] is not None:
                # Together, so a tick's requests leave at one moment.
                answers[start:] = await asyncio.gather(*map(self._fetch_batch, chunks[start:]))
        found: dict[str, MjTask] = {}
        outcomes: list[PollOutcome] = []
        singles: list[PolledJob] = []
        for chunk, answer in zip(chunks, answers, strict=True):
            if answer is None:
                singles += chunk
            elif isinstance(answer, str):
                outcomes += [PollOutcome(job, retry_reason=answer) for job in chunk]
            else:
                found.update((task.id, task) for task in answer)
                singles += [job for job in chunk if job.relay_task_id not in found]
        for job in jobs:
            task = found.get(job.relay_task_id or "")
            if task is not None:
                outcomes.append(PollOutcome(job, observe(task)))
        outcomes += await bounded(singles, self._poll_one)
        return outcomes

    async def _fetch_batch(self, chunk: Sequence[PolledJob]) -> tuple[MjTask, ...] | str | None:
        """The tasks; None when the endpoint is refused; a reason string on other errors."""
        ids = [job.relay_task_id for job in chunk if job.relay_task_id]
        try:
            tasks = await self._relay.mj.fetch_many(ids)
        except (NotFoundError, BadRequestError) as exc:
            log.warning("relay refused list-by-condition (%s); polling tasks one by one", exc)
            self._batch_refused_at = self._clock()
            self._batches_taken = False
            return None
        except RelayError as exc:
            log.info("Midjourney batch poll failed, will retry: %s", exc)
            return str(exc)
        self._batch_refused_at = None
        self._batches_taken = True
        return tasks

    async def _poll_one(self, job: PolledJob) -> PollOutcome:
        task_id = job.relay_task_id or ""
        try:
            return PollOutcome(job, observe(await self._relay.mj.fetch(task_id)))
        except NotFoundError as exc:
            return lost(job, str(exc))
        except RelayError as exc:
            log.info("poll of job %s (mj %s) failed, will retry: %s", job.id, task_id, exc)
            return PollOutcome(job, retry_reason=str(exc))


# -- delivering --------------------------------------------------------------------------


# Midjourney's own button labels, as the catalogue names them (放大, 变换… in Chinese).
_LABEL_KEYS: Final[Mapping[str, str]] = MappingProxyType({
    "Upscale (Subtle)": "mj.button.upscale_subtle",
    "Upscale (Creative)": "mj.button.upscale_creative",
    "Redo Upscale (Subtle)": "mj.button.redo_upscale_subtle",
    "Redo Upscale (Creative)": "mj.button.redo_upscale_creative",
    "Upscale (2x)": "mj.button.upscale_2x",
    "Upscale (4x)": "mj.button.upscale_4x",
    "Vary (Subtle)": "mj.button.vary_subtle",
    "Vary (Strong)": "mj.button.vary_strong",
    "Vary (Region)": "mj.button.vary_region",
    "Make Variations": "mj.button.make_variations",
    "Zoom Out 2x": "mj.button.zoom_out_2x",
    "Zoom Out 1.5x": "mj.button.zoom_out_1_5x",
    "Custom Zoom": "mj.button.custom_zoom",
    "Make Square": "mj.button.make_square",
    "Reroll": "mj.button.reroll",
    "Imagine all": "mj.button.imagine_all",
})


def button_label(label: str, emoji: str, custom_id: str = "", locale: str = "en") -> str:
    """``emoji + label`` (a label Midjourney is known to send in the reader's language);
    custom emoji names such as ``upscale_1`` are left out."""
    shown = emoji if not emoji.isascii() else ""
    key = _LABEL_KEYS.get(label.strip())
    label = (t(key, locale) if key is not None else label).strip()
    text = f"{shown} {label}" if shown and label else shown or label
    return text or custom_id.split("::")[-1] or "?"


# What a Midjourney button does, in words, for buttons whose label is only an emoji.
_NAME_RULES: Final = (
    (re.compile(r"^MJ::(?:JOB::reroll::|Picread::Retry)"), "mj.name.reroll"),
    (re.compile(r"^MJ::JOB::pan_left::"), "mj.name.pan_left"),
    (re.compile(r"^MJ::JOB::pan_right::"), "mj.name.pan_right"),
    (re.compile(r"^MJ::JOB::pan_up::"), "mj.name.pan_up"),
    (re.compile(r"^MJ::JOB::pan_down::"), "mj.name.pan_down"),
)


def button_names(custom_id: str) -> tuple[str, ...]:
    """The names of a Midjourney button in every catalogue language (``reroll``,
    ``重新生成``), or its number for a describe/shorten choice (1️⃣ → ``1``)."""
    choice = _PROMPT_CHOICE_RE.match(custom_id)
    if choice is not None:
        return (choice.group(2),)
    for pattern, key in _NAME_RULES:
        if pattern.match(custom_id):
            return tuple(dict.fromkeys(t(key, language) for language in LANGUAGES))
    return ()


def numbered_prompts(text: str) -> dict[int, str]:
    """``1️⃣ a cat …`` lines → {1: "a cat …"}; for SHORTEN only the part after the heading."""
    heading = text.find("Shortened prompts")
    body = text[heading:] if heading >= 0 else text
    return {int(n): line for n, line in _NUMBERED_RE.findall(body)}


class Midjourney:
    name: Final = NAME
    takes_callbacks: Final = True

    def deadline_s(self, job: PolledJob) -> float:
        return _DEADLINES.get(job.relay_mode or "", DEFAULT_DEADLINE_S)

    def title(self, action: str, locale: str) -> str:
        return t("jobs.title.mj", locale, action=action or "imagine")

    def progress_detail(self, job: Job, locale: str) -> str:
        return ""  # Midjourney's word is always "IN_PROGRESS": the bar says it all

    def button_names(self, custom_id: str) -> tuple[str, ...]:
        return button_names(custom_id)

    def poller(self, relay: RelayClient, clock: Callable[[], float]) -> KindPoller:
        return MidjourneyPoller(relay, clock)

    async def replies(self, job: Job, locale: str, tools: ResultTools) -> list[Reply]:
        result = MjResult.of(job)
        if result.action in _TEXT_ACTIONS:
            text = result.text
            header = t("mj.describe_result" if result.action == "DESCRIBE"
                       else "mj.shorten_result", locale, id=job.id)
            rows = await self._buttons(job, result, tools, numbered_prompts(text), locale)
            return [Reply(f"{header}\n\n{text}", buttons=rows)]
        caption = t("mj.result", locale, title=JobRequest.of(job).title or "imagine",
                    id=job.id, prompt=short(result.prompt, 700))
        rows = await self._buttons(job, result, tools, {}, locale)
        image = await self._image(result, tools)
        if image is None:
            link = result.image_url or "?"
            return [Reply(t("jobs.file_unavailable", locale, text=caption, url=link),
                          buttons=rows)]
        return [Reply(caption, files=(image,), buttons=rows)]

    async def _image(self, result: MjResult, tools: ResultTools) -> OutgoingFile | None:
        found = await tools.fetch(result.image_url, "image")
        if found is not None:
            return found
        try:  # the relay's own proxy outlives Discord CDN links
            image = await tools.services.relay.mj.image(result.task_id)
        except RelayError as exc:
            log.info("no image for Midjourney task %s: %s", result.task_id, exc)
            return None
        if len(image.data) > tools.limits.max_upload_bytes:
            return None
        return OutgoingFile(image.data, f"mj-{result.task_id}.png", "image", image.content_type)

    async def _buttons(
        self, job: Job, result: MjResult, tools: ResultTools, prompts: dict[int, str],
        locale: str,
    ) -> tuple[tuple[Button, ...], ...]:
        specs: list[ButtonSpec] = []
        for button in result.buttons:
            custom_id = button.custom_id
            if not custom_id or "BOOKMARK" in custom_id.upper():
                continue  # a Discord bookmark makes no image; nothing to show for it
            choice = _PROMPT_CHOICE_RE.match(custom_id)
            chosen = prompts.get(int(choice.group(2)), "") if choice is not None else ""
            payload = MjButtonPayload(result.task_id, job.relay_mode, chosen)
            label = button_label(button.label, button.emoji, custom_id, locale)
            specs.append(ButtonSpec(MJ_ACTION, label, button.emoji, custom_id,
                                    payload.to_json()))
        return await tools.rows(job, specs)


KIND: Final = Midjourney()
