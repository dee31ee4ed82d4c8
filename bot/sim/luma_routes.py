"""Luma routes: generate, and the task by ``?id=`` / ``?task_id=`` or by path (RELAY_API §7)."""

from __future__ import annotations

from aiohttp import web

from bot.sim.context import context_of
from bot.sim.envelopes import json_response, wrapped
from bot.sim.media_routes import base_of


def _failure(status: int, message: str) -> web.Response:
    return wrapped(None, status=status, code=status, message=f"(simulated) {message}")


async def generate(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        return _failure(400, "request body is not valid JSON")
    if not isinstance(body, dict):
        return _failure(400, "request body must be a JSON object")
    prompt = body.get("user_prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _failure(400, "'user_prompt' is required")
    ctx = context_of(request)
    task = ctx.luma.create(prompt, str(body.get("aspect_ratio") or "16:9"))
    answer = ctx.luma.submitted(task)
    return json_response([answer] if ctx.config.luma_array else answer)


async def _task_answer(request: web.Request, task_id: str) -> web.Response:
    if not task_id:
        return _failure(400, "query parameter 'id' (or 'task_id') is required")
    ctx = context_of(request)
    task = ctx.luma.get(task_id)
    if task is None:
        return _failure(404, f"generation {task_id} not found")
    task.progress.observe()
    return json_response(ctx.luma.render(task, base_of(request)))


async def task_by_query(request: web.Request) -> web.Response:
    task_id = request.query.get("id") or request.query.get("task_id") or ""
    return await _task_answer(request, task_id)


async def task_by_path(request: web.Request) -> web.Response:
    return await _task_answer(request, request.match_info["task_id"])


def register(app: web.Application) -> None:
    app.router.add_post("/luma/v1/generations", generate)
    app.router.add_get("/luma/v1/task", task_by_query)
    app.router.add_get("/luma/v1/generations/{task_id}", task_by_path)
