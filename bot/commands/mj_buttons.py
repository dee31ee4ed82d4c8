"""Midjourney result buttons, the modal flow, and /mask.

A button under a result carries the task's own ``customId``, sent back verbatim to
``/mj/submit/action`` with the task id. When the relay answers code 21 "Waiting for window
confirm" the action needs more input (RELAY_API §5.5): the presser is asked for it
(pre-filled with the task's final prompt where the platform allows) and the answer,
which may come after a restart (``ctx.ask``, a ``QuestionRoute``), goes to
``/mj/submit/modal``:

- Custom Zoom: the prompt must hold ``--zoom`` between 1 and 2;
- Vary (Region): a rectangle ``left top right bottom`` in percent (optionally ``| prompt``),
  from which the PNG mask is drawn at the image's size; or ``mask``, then ``/mask`` with
  a mask image;
- anything else (remix): the edited prompt.

A task the relay puts in MODAL while it runs (remix accounts) gets a button under its
status message; pressing it asks for the prompt the same way and confirms that task, whose
job then keeps being tracked.

Describe / shorten choices the relay does not support (``unknown_action``) fall back to
imagining the chosen prompt directly.

Each button acts once (:func:`bot.commands.presses.once_per_button`): more presses of it
get "already working on it" or "done", never another paid relay call. A press that asks a
question may be pressed again to ask it anew (same waiting task, no new action); its answer
claims the button before paying.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Final

from bot.commands.job_start import MAX_IMAGE_BYTES, mj_submit, start_job
from bot.commands.mask import MaskError, parse_rect, rect_mask_png
from bot.commands.presses import claim_press, once_per_button, release_press
from bot.core.context import (
    AnswerContext,
    BaseContext,
    ButtonContext,
    CommandContext,
    question_scope,
)
from bot.core.delivery import fetch_media
from bot.core.dispatcher import ButtonRoute, CommandSpec, QuestionRoute
from bot.core.errors import UserError
from bot.core.gate import Price
from bot.core.options import OptionSpec
from bot.jobs.kinds.midjourney import MJ_ACTION, MjButtonPayload, MjResult, final_prompt_of
from bot.jobs.kinds.midjourney import NAME as MJ
from bot.jobs.modal import MJ_MODAL_PROMPT, resume_modal_job
from bot.jobs.records import JobRequest
from bot.lenient import as_dict, as_int, as_str, opt_str
from bot.media import MediaError, data_uri, image_size, sniff_content_type
from bot.relay.errors import RelayError, UnknownActionError
from bot.relay.types import MjMode, MjSubmit
from bot.store.base import Job, JobState, JsonValue

ACTION_PRICE: Final = Price("mj_action", job=True)
MASK_PENDING: Final = "mj_mask"
ASK_PROMPT: Final = "mj_prompt"  # remix: the edited prompt
ASK_ZOOM: Final = "mj_zoom"  # Custom Zoom: a prompt with --zoom 1-2
ASK_REGION: Final = "mj_region"  # Vary (Region): a rectangle, or "mask"
MASK_TTL_S: Final = 15 * 60
_ASK_ATTEMPTS: Final = 3
_ZOOM_RE: Final = re.compile(r"--zoom\s+(\d+(?:\.\d+)?)")


@dataclass(frozen=True, slots=True)
class ModalQuestion:
    """What a modal question remembers until it is answered (also after a restart)."""

    task: str
    mode: str | None
    title: str
    prompt: str
    parent: int | None = None  # the job whose result the button was under
    job: int | None = None  # the job waiting in MODAL that the answer resumes
    attempt: int = 1
    press: str | None = None  # the button pressed: the paying answer claims it again

    @classmethod
    def of(cls, data: JsonValue) -> ModalQuestion:
        d = as_dict(data)
        parent, job = as_int(d.get("parent")), as_int(d.get("job"))
        return cls(as_str(d.get("task")), opt_str(d.get("mode")), as_str(d.get("title")),
                   as_str(d.get("prompt")), parent or None, job or None,
                   as_int(d.get("attempt"), 1), opt_str(d.get("press")))

    def to_json(self) -> JsonValue:
        return {"task": self.task, "mode": self.mode, "title": self.title,
                "prompt": self.prompt, "parent": self.parent, "job": self.job,
                "attempt": self.attempt, "press": self.press}


@dataclass(frozen=True, slots=True)
class MaskPending:
    """A Vary (Region) waiting for its mask image (a pending input of the presser)."""

    task: str
    mode: str | None
    prompt: str
    title: str
    press: str | None = None  # the Vary (Region) button: /mask claims it before paying

    @classmethod
    def of(cls, payload: JsonValue) -> MaskPending:
        data = as_dict(payload)
        return cls(as_str(data.get("task")), opt_str(data.get("mode")),
                   as_str(data.get("prompt")), as_str(data.get("title")),
                   opt_str(data.get("press")))

    def to_json(self) -> JsonValue:
        return {"task": self.task, "mode": self.mode, "prompt": self.prompt,
                "title": self.title, "press": self.press}


def _mode(value: str | None, fallback: str) -> MjMode:
    chosen = value or fallback
    return "relax" if chosen == "relax" else "turbo" if chosen == "turbo" else "fast"


def zoom_ok(prompt: str) -> bool:
    match = _ZOOM_RE.search(prompt)
    return match is not None and 1.0 <= float(match.group(1)) <= 2.0


async def _start_mj(
    ctx: BaseContext, call: Callable[[str], Awaitable[MjSubmit]], *, title: str, prompt: str,
    mode: MjMode, press_key: str | None,
) -> None:
    await start_job(ctx, mj_submit(call), kind=MJ, title=title, prompt=prompt, mode=mode,
                    press_key=press_key)


async def press_action(ctx: ButtonContext) -> None:
    button = ctx.button
    payload = MjButtonPayload.of(button.payload)
    custom_id = button.custom_id or ""
    mode = _mode(payload.mode, ctx.services.config.relay.mj_mode)
    parent = await ctx.services.store.get_job(button.job_id) if button.job_id else None
    # A /describe or /shorten choice runs the prompt it stands for, not all four of them.
    final_prompt = payload.prompt or final_prompt_of(parent)
    mj = ctx.services.relay.mj
    if await _ask_again_for(ctx):
        return
    answer: MjSubmit | None = None

    async def action(tag: str) -> MjSubmit:
        nonlocal answer
        answer = await mj.action(payload.task, custom_id, mode=mode, state=tag)
        return answer

    try:
        await _start_mj(ctx, action, title=button.label, prompt=final_prompt, mode=mode,
                        press_key=button.key)
    except UnknownActionError:
        chosen = payload.prompt
        if not chosen:
            raise
        await ctx.reply(ctx.t("mj.prompt_choice_fallback"))
        await _start_mj(ctx, lambda tag: mj.imagine(chosen, mode=mode, state=tag),
                        title=button.label, prompt=chosen, mode=mode, press_key=button.key)
        return
    if answer is not None and answer.needs_modal:
        await _modal(ctx, answer, parent, final_prompt, mode)


async def _ask_again_for(ctx: ButtonContext) -> bool:
    """Pressed again while its question is open (a dismissed form): ask the same question
    about the same waiting task, without another paid action. True if asked."""
    pending = await ctx.services.store.get_pending(
        ctx.chat.platform, question_scope(ctx.chat), ctx.user.id
    )
    if pending is None or pending.kind not in (ASK_ZOOM, ASK_REGION, ASK_PROMPT):
        return False
    asked = pending.payload
    data = ModalQuestion.of(asked.get("data") if isinstance(asked, dict) else None)
    if data.press != ctx.button.key or not data.task:
        return False
    await _ask(ctx, pending.kind, replace(data, attempt=1))
    return True


async def _modal(
    ctx: ButtonContext, submit: MjSubmit, parent: Job | None, final_prompt: str, mode: MjMode
) -> None:
    """Ask for what the action needs; the answer continues in a QuestionRoute below,
    in whichever process receives it (also after a restart)."""
    custom_id = ctx.button.custom_id or ""
    prompt = submit.final_prompt or final_prompt
    data = ModalQuestion(submit.task_id, mode, ctx.button.label, prompt,
                         parent=parent.id if parent is not None else None,
                         press=ctx.button.key)
    if custom_id.startswith("MJ::CustomZoom"):
        await _ask(ctx, ASK_ZOOM, data)
    elif custom_id.startswith("MJ::Inpaint"):
        await _ask(ctx, ASK_REGION, data)
    else:
        await _ask(ctx, ASK_PROMPT, data)


async def press_modal_prompt(ctx: ButtonContext) -> None:
    """The button under a job the relay put in MODAL while it ran (a remix account):
    ask for the prompt, pre-filled with the job's, then confirm that same task."""
    job = await ctx.services.store.get_job(ctx.button.job_id) if ctx.button.job_id else None
    if job is None or job.state is not JobState.MODAL or not job.relay_task_id:
        raise UserError("mj.modal_not_waiting")
    await _ask(ctx, ASK_PROMPT, ModalQuestion(
        job.relay_task_id, _mode(job.relay_mode, ctx.services.config.relay.mj_mode),
        JobRequest.of(job).title, final_prompt_of(job), job=job.id, press=ctx.button.key,
    ))


async def _ask(ctx: BaseContext, kind: str, data: ModalQuestion) -> None:
    prompt = data.prompt
    if kind == ASK_ZOOM:
        question, prefill = ctx.t("mj.ask_zoom"), (
            prompt if "--zoom" in prompt else f"{prompt} --zoom 1.5".strip())
    elif kind == ASK_REGION:
        question = ctx.t("mj.ask_region")
        prefill = f"25 25 75 75 | {prompt}" if prompt else "25 25 75 75"
    else:
        question, prefill = ctx.t("mj.ask_prompt"), prompt
    if not await ctx.ask(kind, question, prefill=prefill, data=data.to_json()):
        await ctx.reply(ctx.t("mj.modal_cancelled"))


async def _ask_again(ctx: AnswerContext, kind: str, complaint: str) -> None:
    """A bad answer: say why and ask again, up to :data:`_ASK_ATTEMPTS` times."""
    data = ModalQuestion.of(ctx.data)
    await ctx.reply(ctx.t(complaint))
    if data.attempt >= _ASK_ATTEMPTS:
        await ctx.reply(ctx.t("mj.modal_cancelled"))
        return
    await _ask(ctx, kind, replace(data, attempt=data.attempt + 1))


async def answer_prompt(ctx: AnswerContext) -> None:
    await _confirm(ctx, prompt=ctx.answer)


async def answer_zoom(ctx: AnswerContext) -> None:
    if not zoom_ok(ctx.answer):
        await _ask_again(ctx, ASK_ZOOM, "mj.bad_zoom")
        return
    await _confirm(ctx, prompt=ctx.answer)


async def answer_region(ctx: AnswerContext) -> None:
    data = ModalQuestion.of(ctx.data)
    region, _, new_prompt = ctx.answer.partition("|")
    new_prompt = new_prompt.strip() or data.prompt
    if region.strip().lower() == "mask":
        await ctx.services.store.put_pending(
            ctx.chat.platform, question_scope(ctx.chat), ctx.user.id, kind=MASK_PENDING,
            payload=MaskPending(data.task, data.mode, new_prompt, data.title,
                                data.press).to_json(),
            ttl_s=MASK_TTL_S,
        )
        await ctx.reply(ctx.t("mj.mask_wait", minutes=MASK_TTL_S // 60))
        return
    rect = parse_rect(region)
    if rect is None:
        await _ask_again(ctx, ASK_REGION, "mj.bad_region")
        return
    parent = await ctx.services.store.get_job(data.parent) if data.parent else None
    size = image_size(await _parent_image(ctx, parent))
    if size is None:
        raise UserError("mj.no_image_size")
    try:
        mask = await asyncio.to_thread(rect_mask_png, size[0], size[1], rect)
    except MaskError:
        raise UserError("mj.no_image_size") from None
    await _confirm(ctx, prompt=new_prompt, mask_base64=data_uri(mask, "image/png"))


async def _confirm(ctx: AnswerContext, *, prompt: str, mask_base64: str | None = None) -> None:
    """``/mj/submit/modal`` with the answer, then track the task: as a new job, or as
    the job that was waiting in MODAL (``data["job"]``)."""
    data = ModalQuestion.of(ctx.data)
    if not await claim_press(ctx, data.press):
        return
    try:
        await _confirm_task(ctx, data, prompt=prompt, mask_base64=mask_base64)
    finally:
        await release_press(ctx, data.press)  # only if no job was attached to the press


async def _confirm_task(
    ctx: AnswerContext, data: ModalQuestion, *, prompt: str, mask_base64: str | None
) -> None:
    mode = _mode(data.mode, ctx.services.config.relay.mj_mode)
    title = data.title or "Midjourney"
    mj = ctx.services.relay.mj
    if data.job is None:
        await _start_mj(
            ctx, lambda tag: mj.modal(data.task, prompt=prompt, mask_base64=mask_base64,
                                      mode=mode, state=tag),
            title=title, prompt=prompt, mode=mode, press_key=data.press,
        )
        return
    # The job waiting in MODAL is its own write-ahead row: it goes on with the answer.
    confirmed = await mj.modal(data.task, prompt=prompt, mask_base64=mask_base64, mode=mode)
    resumed = await resume_modal_job(ctx.services.store, data.job, confirmed.task_id)
    if resumed is None:
        raise UserError("mj.modal_not_waiting")
    ctx.services.jobs.ring()
    await ctx.reply(ctx.t("mj.modal_sent", id=resumed.id))


async def _parent_image(ctx: BaseContext, parent: Job | None) -> bytes:
    """The image the region refers to: its link, else the relay's image proxy."""
    result = MjResult.of(parent) if parent is not None else None
    url = result.image_url if result is not None else None
    if url:
        try:
            media = await fetch_media(ctx.services, url, ("image",),
                                      max_bytes=4 * MAX_IMAGE_BYTES)
            return media.data
        except MediaError:
            pass  # expired CDN link: the relay's proxy below may still have it
    task_id = result.task_id if result is not None else None
    if not task_id:
        raise UserError("mj.no_image_size")
    try:
        return (await ctx.services.relay.mj.image(task_id)).data
    except RelayError:
        raise UserError("mj.no_image_size") from None


async def mask(ctx: CommandContext) -> None:
    """/mask: the mask image for the Vary (Region) waiting for one."""
    store = ctx.services.store
    scope = question_scope(ctx.chat)
    pending = await store.get_pending(ctx.chat.platform, scope, ctx.user.id)
    if pending is None or pending.kind != MASK_PENDING:
        raise UserError("mj.no_mask_pending")
    attachment = ctx.attachment("image")
    assert attachment is not None  # required option
    data = await attachment.read(MAX_IMAGE_BYTES)
    if sniff_content_type(data) != "image/png":
        raise UserError("mj.mask_not_png")
    taken = await store.pop_pending(ctx.chat.platform, scope, ctx.user.id, only=pending)
    if taken is None or taken.kind != MASK_PENDING:
        raise UserError("mj.no_mask_pending")
    payload = MaskPending.of(taken.payload)
    mode = _mode(payload.mode, ctx.services.config.relay.mj_mode)
    prompt = ctx.text("prompt") or payload.prompt
    mask_uri = data_uri(data, "image/png")
    mj = ctx.services.relay.mj
    if not await claim_press(ctx, payload.press):
        return
    try:
        await _start_mj(
            ctx, lambda tag: mj.modal(payload.task, prompt=prompt, mask_base64=mask_uri,
                                      mode=mode, state=tag),
            title=payload.title or ctx.t("mj.button.vary_region"), prompt=prompt, mode=mode,
            press_key=payload.press,
        )
    finally:
        await release_press(ctx, payload.press)  # only if no job was attached to the press


COMMANDS = (
    CommandSpec("mask", mask, options=(
        OptionSpec("image", type="attachment", kinds=("image",), required=True,
                   max_bytes=MAX_IMAGE_BYTES),
        OptionSpec("prompt"),
    ), main=("prompt",), capability="midjourney", price=ACTION_PRICE),
)
BUTTONS = (
    ButtonRoute(MJ_ACTION, press_action, capability="midjourney", price=ACTION_PRICE,
                claim=once_per_button),
    # The job asking for a prompt is already paid for: answering it starts nothing new.
    ButtonRoute(MJ_MODAL_PROMPT, press_modal_prompt, capability="midjourney"),
)
# The answer submits the action (the press that asked was refunded): it pays as a button.
# Answering for a job that turned MODAL while it ran starts no job, so that is refunded.
QUESTIONS = (
    QuestionRoute(ASK_PROMPT, answer_prompt, capability="midjourney", price=ACTION_PRICE),
    QuestionRoute(ASK_ZOOM, answer_zoom, capability="midjourney", price=ACTION_PRICE),
    QuestionRoute(ASK_REGION, answer_region, capability="midjourney", price=ACTION_PRICE),
)
