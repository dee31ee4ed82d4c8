"""Suno routes: v3.0 generate/concat/fetch, v3.5 generate/fetch, wrapper ``{"code":200,...}``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sim.context import context_of
from bot.sim.envelopes import wrapped
from bot.sim.media_routes import base_of


def _failure(status: int, message: str) -> web.Response:
    return wrapped(None, status=status, code=status, message=f"(simulated) {message}")


async def _body(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        body = await request.json()
    except ValueError:
        return _failure(400, "request body is not valid JSON")
    return body if isinstance(body, dict) else _failure(400, "request body must be a JSON object")


def _invalid_generate(body: dict[str, Any]) -> str | None:
    inner = body.get("input")
    if not isinstance(inner, dict):
        return "'input' must be an object"
    if body.get("custom_mode"):
        if not inner.get("prompt") and not inner.get("make_instrumental"):
            return "custom mode needs input.prompt (lyrics)"
    elif not inner.get("gpt_description_prompt"):
        return "description mode needs input.gpt_description_prompt"
    continue_clip = inner.get("continue_clip_id")
    if continue_clip and not isinstance(continue_clip, str):
        return "input.continue_clip_id must be a string"
    return None


async def _generate(request: web.Request, version: str) -> web.Response:
    body = await _body(request)
    if isinstance(body, web.Response):
        return body
    problem = _invalid_generate(body)
    if problem is not None:
        return _failure(400, problem)
    task = context_of(request).suno.create(version, body)
    return wrapped({"task_id": task.id})


async def generate_v30(request: web.Request) -> web.Response:
    return await _generate(request, "v3.0")


async def generate_v35(request: web.Request) -> web.Response:
    return await _generate(request, "v3.5")


async def concat(request: web.Request) -> web.Response:
    body = await _body(request)
    if isinstance(body, web.Response):
        return body
    clip_id = body.get("clip_id")
    if not isinstance(clip_id, str) or not clip_id:
        return _failure(400, "'clip_id' is required")
    ctx = context_of(request)
    source = ctx.suno.owner_of_clip(clip_id)
    if source is None:
        return _failure(400, f"clip {clip_id} not found")
    task = ctx.suno.create(source.version, {"clip_id": clip_id}, concat_of=clip_id)
    return wrapped({"task_id": task.id})


async def fetch(request: web.Request) -> web.Response:
    ctx = context_of(request)
    task = ctx.suno.get(request.match_info["task_id"])
    if task is None:
        return _failure(404, "task not found")
    task.progress.observe()
    return wrapped(ctx.suno.render(task, base_of(request)))


def register(app: web.Application) -> None:
    app.router.add_post("/suno/v1/v3.0/music", generate_v30)
    app.router.add_post("/suno/v1/v3.0/music/concat", concat)
    app.router.add_get("/suno/v1/v3.0/music/{task_id}", fetch)
    app.router.add_post("/suno/v1/music", generate_v35)
    app.router.add_get("/suno/v1/music/{task_id}", fetch)
