"""Midjourney submit routes: imagine, action, blend, describe, shorten, modal, swap (§5.7).

Answers follow midjourney-proxy (HTTP 200 + ``code``) for upstream outcomes and new-api
(HTTP 400 ``{"description","type":"upstream_error","code":4}``) for relay-side refusals.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from aiohttp import web

from bot.sim.context import SimContext, add_mj_route, context_of
from bot.sim.envelopes import mj_relay_error, mj_result
from bot.sim.media import PNG_SIGNATURE
from bot.sim.mj_buttons import ButtonAction, describe_lines, parse_custom_id, shorten_text
from bot.sim.mj_tasks import MjTask
from bot.sim.progress import digest

_INSTANCE = "1276443590224072795"
_DIMENSIONS = {"PORTRAIT": "2:3", "SQUARE": "1:1", "LANDSCAPE": "3:2"}
_NUMBERING = re.compile(r"^\d\ufe0f\u20e3\s*")


def mode_of(request: web.Request) -> str | None:
    prefix = request.match_info.get("mj_mode")
    return prefix.removeprefix("mj-") if prefix else None


async def mj_body(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        body = await request.json()
    except ValueError:
        return mj_relay_error("bind_request_body_failed")
    if not isinstance(body, dict):
        return mj_relay_error("bind_request_body_failed")
    return body


def is_data_uri(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("data:") and ";base64," in value


def is_png_data_uri(value: Any) -> bool:
    if not isinstance(value, str) or not value.startswith("data:image/png;base64,"):
        return False
    try:
        raw = base64.b64decode(value.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return False
    return raw.startswith(PNG_SIGNATURE)


def _refusal(prompt: str) -> web.Response | None:
    """The upstream refusals scripted by magic words."""
    if "[banned]" in prompt:
        return mj_result(
            24, "可能包含敏感词", properties={"promptEn": prompt, "bannedWord": "banned"}
        )
    if "[queue-full]" in prompt:
        return mj_result(23, "队列已满，请稍后尝试", properties={"discordInstanceId": _INSTANCE})
    if "[no-account]" in prompt:
        return mj_result(3, "无可用的账号实例")
    return None


def accepted(ctx: SimContext, task: MjTask) -> web.Response:
    """Code 1, or 22 (queued) for ``[queued]`` prompts; new-api rewrites 22 to 1."""
    if "[queued]" in task.prompt and not ctx.config.new_api_mode:
        properties = {"numberOfQueues": 1, "discordInstanceId": _INSTANCE}
        return mj_result(22, "排队中，前面还有1个任务", task.id, properties)
    return mj_result(1, "提交成功", task.id)


def _state(body: dict[str, Any]) -> str:
    return str(body.get("state") or "")


def _bot_type(body: dict[str, Any]) -> str:
    return str(body.get("botType") or "MID_JOURNEY")


async def imagine(request: web.Request) -> web.Response:
    body = await mj_body(request)
    if isinstance(body, web.Response):
        return body
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return mj_relay_error("prompt_is_required")
    images = body.get("base64Array") or []
    if not isinstance(images, list) or not all(is_data_uri(i) for i in images):
        return mj_result(4, "base64List参数错误 (simulated: items must be data URIs)")
    refusal = _refusal(prompt)
    if refusal is not None:
        return refusal
    ctx = context_of(request)
    task = ctx.mj.create(
        "IMAGINE", prompt, mode=mode_of(request), state=_state(body), bot_type=_bot_type(body)
    )
    return accepted(ctx, task)


def _child_prompt(parent: MjTask, button: ButtonAction, custom_id: str) -> str:
    if custom_id.startswith("MJ::Job::PicReader::"):
        lines = describe_lines(parent.colour_seed[:8])
        return _NUMBERING.sub("", lines[max(0, button.index - 1)])
    if custom_id.startswith("MJ::Job::PromptAnalyzer::"):
        return shorten_text(parent.prompt)[1][max(0, button.index - 1)]
    return parent.prompt


async def action(request: web.Request) -> web.Response:
    body = await mj_body(request)
    if isinstance(body, web.Response):
        return body
    ctx = context_of(request)
    custom_id = str(body.get("customId") or "")
    parent_id = str(body.get("taskId") or "")
    if not custom_id:
        return mj_relay_error("custom_id_is_required")
    if not parent_id:
        return mj_relay_error("task_id_is_required")
    button = parse_custom_id(custom_id)
    if button is None or (ctx.config.new_api_mode and not button.relay_supported):
        return mj_relay_error(f"unknown_action:{custom_id}")
    parent = ctx.mj.get(parent_id)
    if parent is None:
        return mj_relay_error("task_no_found")
    if parent.status() != "SUCCESS":
        return mj_relay_error("task_status_not_success")
    parent_buttons = ctx.mj.render(parent, "")["buttons"]
    if custom_id not in {b["customId"] for b in parent_buttons}:
        return mj_relay_error(f"unknown_action:{custom_id}")
    if button.action == "BOOKMARK":
        return mj_result(1, "成功 (simulated bookmark)")
    existing = _existing_upscale(ctx, parent, custom_id) if button.action == "UPSCALE" else None
    if existing is not None:
        return existing
    child = ctx.mj.create(
        button.action,
        _child_prompt(parent, button, custom_id),
        mode=mode_of(request),
        state=_state(body),
        bot_type=parent.bot_type,
        custom_id=custom_id,
        parent=parent,
        index=button.index,
        modal=button.modal,
        colour_seed=f"{parent.colour_seed}#{custom_id}#{len(ctx.mj.tasks)}",
    )
    if button.modal:
        properties = {"finalPrompt": parent.prompt, "remix": True}
        return mj_result(21, "Waiting for window confirm", child.id, properties)
    return mj_result(1, "提交成功", child.id)


def _existing_upscale(ctx: SimContext, parent: MjTask, custom_id: str) -> web.Response | None:
    """Pressing the same U button twice: midjourney-proxy answers 21 "task exists"."""
    for task in ctx.mj.tasks.values():
        if task.parent_id == parent.id and task.custom_id == custom_id and not task.cancelled:
            if ctx.config.new_api_mode:
                return mj_result(1, "提交成功", task.id)
            rendered = ctx.mj.render(task, "")
            properties = {"status": rendered["status"], "imageUrl": rendered["imageUrl"]}
            return mj_result(21, "任务已存在", task.id, properties)
    return None


async def blend(request: web.Request) -> web.Response:
    body = await mj_body(request)
    if isinstance(body, web.Response):
        return body
    images = body.get("base64Array")
    if (
        not isinstance(images, list)
        or not 2 <= len(images) <= 5
        or not all(map(is_data_uri, images))
    ):
        return mj_result(4, "base64List参数错误")
    ratio = _DIMENSIONS.get(str(body.get("dimensions") or "SQUARE"))
    if ratio is None:
        return mj_result(4, "dimensions参数错误")
    ctx = context_of(request)
    seed = digest("".join(images))
    prompt = f"(simulated) blend of {len(images)} images --ar {ratio}"
    task = ctx.mj.create(
        "BLEND",
        prompt,
        mode=mode_of(request),
        colour_seed=seed,
        state=_state(body),
        bot_type=_bot_type(body),
    )
    return accepted(ctx, task)


async def describe(request: web.Request) -> web.Response:
    body = await mj_body(request)
    if isinstance(body, web.Response):
        return body
    image = body.get("base64") or body.get("link")
    if not isinstance(image, str) or not (is_data_uri(image) or image.startswith("http")):
        return mj_result(4, "base64参数错误")
    ctx = context_of(request)
    task = ctx.mj.create(
        "DESCRIBE",
        "",
        mode=mode_of(request),
        colour_seed=digest(image),
        state=_state(body),
        bot_type=_bot_type(body),
    )
    return accepted(ctx, task)


async def shorten(request: web.Request) -> web.Response:
    body = await mj_body(request)
    if isinstance(body, web.Response):
        return body
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return mj_relay_error("prompt_is_required")
    refusal = _refusal(prompt)
    if refusal is not None:
        return refusal
    ctx = context_of(request)
    task = ctx.mj.create(
        "SHORTEN", prompt, mode=mode_of(request), state=_state(body), bot_type=_bot_type(body)
    )
    return accepted(ctx, task)


async def modal(request: web.Request) -> web.Response:
    body = await mj_body(request)
    if isinstance(body, web.Response):
        return body
    task_id = str(body.get("taskId") or "")
    if not task_id:
        return mj_relay_error("task_id_is_required")
    ctx = context_of(request)
    task = ctx.mj.get(task_id)
    if task is None:
        return mj_relay_error("task_no_found")
    if task.status() != "MODAL":
        return mj_result(4, "关联任务状态错误")
    prompt = str(body.get("prompt") or "")
    mask = str(body.get("maskBase64") or "")
    if task.action == "CUSTOM_ZOOM" and "--zoom" not in prompt:
        return mj_result(4, "(simulated) Custom Zoom needs a prompt with --zoom 1.0-2.0")
    if task.action == "INPAINT" and not is_png_data_uri(mask):
        return mj_result(4, "(simulated) Vary (Region) needs maskBase64 as a PNG data URI")
    ctx.mj.confirm_modal(task, prompt, mask)
    return mj_result(1, "提交成功", task.id)


async def swap_face(request: web.Request) -> web.Response:
    body = await mj_body(request)
    if isinstance(body, web.Response):
        return body
    source, target = body.get("sourceBase64"), body.get("targetBase64")
    if not is_data_uri(source) or not is_data_uri(target):
        return mj_result(4, "(simulated) sourceBase64 and targetBase64 must be data URIs")
    ctx = context_of(request)
    seed = digest(f"{source}{target}")
    task = ctx.mj.create(
        "SWAP_FACE", "", mode=mode_of(request), colour_seed=seed, state=_state(body)
    )
    return accepted(ctx, task)


def register(app: web.Application) -> None:
    add_mj_route(app, "POST", "/mj/submit/imagine", imagine)
    add_mj_route(app, "POST", "/mj/submit/action", action)
    add_mj_route(app, "POST", "/mj/submit/blend", blend)
    add_mj_route(app, "POST", "/mj/submit/describe", describe)
    add_mj_route(app, "POST", "/mj/submit/shorten", shorten)
    add_mj_route(app, "POST", "/mj/submit/modal", modal)
    add_mj_route(app, "POST", "/mj/insight-face/swap", swap_face)
