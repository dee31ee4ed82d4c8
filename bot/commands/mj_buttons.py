"""Midjourney result buttons, the modal flow, and /mask.

A button under a result carries the task's own ``customId``, sent back verbatim to
``/mj/submit/action`` with the task id. When the relay answers code 21 "Waiting for window
confirm" the action needs more input (RELAY_API §5.5): the presser is asked for it
(pre-filled with the task's final prompt where the platform allows) and
``/mj/submit/modal`` starts the job:

- Custom Zoom: the prompt must hold ``--zoom`` between 1 and 2;
- Vary (Region): a rectangle ``left top right bottom`` in percent (optionally ``| prompt``),
  from which the PNG mask is drawn at the image's size; or ``mask``, then ``/mask`` with
  a mask image;
- anything else (remix): the edited prompt.

Describe / shorten choices the relay does not support (``unknown_action``) fall back to
imagining the chosen prompt directly.
"""

from __future__ import annotations

import asyncio
import re
from typing import Final

from bot.commands.job_start import MAX_IMAGE_BYTES, track_mj_submit
from bot.commands.mask import MaskError, parse_rect, rect_mask_png
from bot.core.context import BaseContext, ButtonContext, CommandContext
from bot.core.dispatcher import ButtonRoute, CommandSpec
from bot.core.errors import UserError
from bot.core.options import OptionSpec
from bot.jobs.records import obj, text_of
from bot.jobs.results import MJ_ACTION
from bot.media import MediaError, data_uri, download, image_size, sniff_content_type
from bot.relay.errors import RelayError, UnknownActionError
from bot.relay.types import MjMode, MjSubmit
from bot.store.base import Job, JsonValue

MASK_PENDING: Final = "mj_mask"
MASK_TTL_S: Final = 15 * 60
_ASK_ATTEMPTS: Final = 3
_ZOOM_RE: Final = re.compile(r"--zoom\s+(\d+(?:\.\d+)?)")


def _mode(value: JsonValue, fallback: str) -> MjMode:
    chosen = value if isinstance(value, str) else fallback
    return "relax" if chosen == "relax" else "turbo" if chosen == "turbo" else "fast"


def zoom_ok(prompt: str) -> bool:
    match = _ZOOM_RE.search(prompt)
    return match is not None and 1.0 <= float(match.group(1)) <= 2.0


async def press_action(ctx: ButtonContext) -> None:
    button = ctx.button
    payload = obj(button.payload)
    task_id = text_of(payload, "task")
    custom_id = button.custom_id or ""
    mode = _mode(payload.get("mode"), ctx.services.config.relay.mj_mode)
    parent = await ctx.services.store.get_job(button.job_id) if button.job_id else None
    final_prompt = _final_prompt(parent)
    mj = ctx.services.relay.mj
    try:
        submit = await mj.action(task_id, custom_id, mode=mode)
    except UnknownActionError:
        chosen = text_of(payload, "prompt")
        if not chosen:
            raise
        await ctx.reply(ctx.t("mj.prompt_choice_fallback"))
        submit = await mj.imagine(chosen, mode=mode)
        await track_mj_submit(ctx, submit, title=button.label, prompt=chosen, mode=mode)
        return
    if submit.needs_modal:
        await _modal(ctx, submit, parent, final_prompt, mode)
        return
    await track_mj_submit(ctx, submit, title=button.label, prompt=final_prompt, mode=mode)


def _final_prompt(parent: Job | None) -> str:
    if parent is None:
        return ""
    result = obj(parent.result)
    return text_of(result, "final_prompt") or text_of(obj(parent.request), "prompt")


async def _modal(
    ctx: ButtonContext, submit: MjSubmit, parent: Job | None, final_prompt: str, mode: MjMode
) -> None:
    custom_id = ctx.button.custom_id or ""
    prompt = submit.final_prompt or final_prompt
    if custom_id.startswith("MJ::CustomZoom"):
        await _custom_zoom(ctx, submit, prompt, mode)
    elif custom_id.startswith("MJ::Inpaint"):
        await _vary_region(ctx, submit, parent, prompt, mode)
    else:
        answer = await ctx.responder.ask_text(ctx.t("mj.ask_prompt"), prefill=prompt)
        if answer is None:
            await ctx.reply(ctx.t("mj.modal_cancelled"))
            return
        confirmed = await ctx.services.relay.mj.modal(submit.task_id, prompt=answer, mode=mode)
        await track_mj_submit(ctx, confirmed, title=ctx.button.label, prompt=answer, mode=mode)


async def _custom_zoom(ctx: ButtonContext, submit: MjSubmit, prompt: str, mode: MjMode) -> None:
    prefill = prompt if "--zoom" in prompt else f"{prompt} --zoom 1.5".strip()
    for _ in range(_ASK_ATTEMPTS):
        answer = await ctx.responder.ask_text(ctx.t("mj.ask_zoom"), prefill=prefill)
        if answer is None:
            break
        if not zoom_ok(answer):
            await ctx.reply(ctx.t("mj.bad_zoom"))
            continue
        confirmed = await ctx.services.relay.mj.modal(submit.task_id, prompt=answer, mode=mode)
        await track_mj_submit(ctx, confirmed, title=ctx.button.label, prompt=answer, mode=mode)
        return
    await ctx.reply(ctx.t("mj.modal_cancelled"))


async def _vary_region(
    ctx: ButtonContext, submit: MjSubmit, parent: Job | None, prompt: str, mode: MjMode
) -> None:
    prefill = f"25 25 75 75 | {prompt}" if prompt else "25 25 75 75"
    for _ in range(_ASK_ATTEMPTS):
        answer = await ctx.responder.ask_text(ctx.t("mj.ask_region"), prefill=prefill)
        if answer is None:
            break
        region, _, new_prompt = answer.partition("|")
        new_prompt = new_prompt.strip() or prompt
        if region.strip().lower() == "mask":
            await ctx.services.store.put_pending(
                ctx.chat.platform, ctx.chat.chat_id, ctx.user.id, kind=MASK_PENDING,
                payload={"task": submit.task_id, "mode": mode, "prompt": new_prompt,
                         "title": ctx.button.label},
                ttl_s=MASK_TTL_S,
            )
            await ctx.reply(ctx.t("mj.mask_wait", minutes=MASK_TTL_S // 60))
            return
        rect = parse_rect(region)
        if rect is None:
            await ctx.reply(ctx.t("mj.bad_region"))
            continue
        size = image_size(await _parent_image(ctx, parent))
        if size is None:
            raise UserError("mj.no_image_size")
        try:
            mask = await asyncio.to_thread(rect_mask_png, size[0], size[1], rect)
        except MaskError:
            raise UserError("mj.no_image_size") from None
        confirmed = await ctx.services.relay.mj.modal(
            submit.task_id, prompt=new_prompt, mask_base64=data_uri(mask, "image/png"), mode=mode
        )
        await track_mj_submit(ctx, confirmed, title=ctx.button.label, prompt=new_prompt,
                              mode=mode)
        return
    await ctx.reply(ctx.t("mj.modal_cancelled"))


async def _parent_image(ctx: BaseContext, parent: Job | None) -> bytes:
    """The image the region refers to: its link, else the relay's image proxy."""
    result = obj(parent.result) if parent is not None else {}
    url = text_of(result, "image_url")
    if url:
        try:
            media = await download(ctx.services.http, url, max_bytes=4 * MAX_IMAGE_BYTES,
                                   allowed=("image",),
                                   timeout_s=ctx.services.config.relay.timeout_s,
                                   policy=ctx.services.egress)
            return media.data
        except MediaError:
            pass  # expired CDN link: the relay's proxy below may still have it
    task_id = text_of(result, "task_id") or (parent.relay_task_id if parent else None)
    if not task_id:
        raise UserError("mj.no_image_size")
    try:
        return (await ctx.services.relay.mj.image(task_id)).data
    except RelayError:
        raise UserError("mj.no_image_size") from None


async def mask(ctx: CommandContext) -> None:
    """/mask: the mask image for the Vary (Region) waiting for one."""
    store = ctx.services.store
    pending = await store.get_pending(ctx.chat.platform, ctx.chat.chat_id, ctx.user.id)
    if pending is None or pending.kind != MASK_PENDING:
        raise UserError("mj.no_mask_pending")
    attachment = ctx.attachment("image")
    assert attachment is not None  # required option
    data = await attachment.read(MAX_IMAGE_BYTES)
    if sniff_content_type(data) != "image/png":
        raise UserError("mj.mask_not_png")
    taken = await store.pop_pending(ctx.chat.platform, ctx.chat.chat_id, ctx.user.id)
    if taken is None or taken.kind != MASK_PENDING:
        raise UserError("mj.no_mask_pending")
    payload = obj(taken.payload)
    mode = _mode(payload.get("mode"), ctx.services.config.relay.mj_mode)
    prompt = ctx.text("prompt") or text_of(payload, "prompt")
    confirmed = await ctx.services.relay.mj.modal(
        text_of(payload, "task"), prompt=prompt, mask_base64=data_uri(data, "image/png"),
        mode=mode,
    )
    await track_mj_submit(ctx, confirmed, title=text_of(payload, "title") or "Vary (Region)",
                          prompt=prompt, mode=mode)


COMMANDS = (
    CommandSpec("mask", mask, options=(
        OptionSpec("image", type="attachment", kinds=("image",), required=True,
                   max_bytes=MAX_IMAGE_BYTES),
        OptionSpec("prompt"),
    ), main=("prompt",)),
)
BUTTONS = (ButtonRoute(MJ_ACTION, press_action),)
