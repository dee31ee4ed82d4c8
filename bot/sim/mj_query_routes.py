"""Midjourney query routes: fetch, list(-by-condition), query, queue, cancel, seed, image (§5.8).

fetch, list-by-condition and queue count as polls and move the tasks they show.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.lenient import as_int
from bot.sim.context import add_mj_route, context_of
from bot.sim.envelopes import json_response, json_text_response, mj_relay_error, mj_result
from bot.sim.media_routes import base_of, png_response
from bot.sim.mj_routes import mj_body
from bot.sim.mj_tasks import FINAL_STATUSES, QUEUE_STATUSES, MjTask

_FILTERS = {"id": "id", "action": "action", "status": "status", "state": "state"}


async def fetch(request: web.Request) -> web.Response:
    ctx = context_of(request)
    task = ctx.mj.get(request.match_info["task_id"])
    if task is None:
        return mj_relay_error("task_no_found")
    ctx.mj.observe(task)
    return json_text_response(ctx.mj.render_json(task, base_of(request)))


async def list_by_condition(request: web.Request) -> web.Response:
    body = await mj_body(request)
    if isinstance(body, web.Response):
        return body
    ids = body.get("ids") or []
    if not isinstance(ids, list):
        return mj_relay_error("bind_request_body_failed")
    ctx = context_of(request)
    tasks: list[MjTask] = []
    for task_id in dict.fromkeys(str(i) for i in ids):  # each listed task moves once
        task = ctx.mj.get(task_id)
        if task is not None:
            ctx.mj.observe(task)
            tasks.append(task)
    base = base_of(request)
    return json_text_response("[" + ", ".join(ctx.mj.render_json(t, base) for t in tasks) + "]")


async def list_all(request: web.Request) -> web.Response:
    ctx = context_of(request)
    base = base_of(request)
    newest = list(ctx.mj.tasks.values())[::-1][:100]
    return json_response([ctx.mj.render(task, base) for task in newest])


async def queue(request: web.Request) -> web.Response:
    ctx = context_of(request)
    waiting = [t for t in ctx.mj.tasks.values() if t.status() in QUEUE_STATUSES]
    for task in waiting:
        ctx.mj.observe(task)
    base = base_of(request)
    return json_response([ctx.mj.render(t, base) for t in waiting if t.status() in QUEUE_STATUSES])


def _matches(rendered: dict[str, Any], body: dict[str, Any]) -> bool:
    for field, key in _FILTERS.items():
        wanted = body.get(field)
        if wanted not in (None, "") and rendered[key] != wanted:
            return False
    ids = body.get("ids")
    if isinstance(ids, list) and ids and rendered["id"] not in {str(i) for i in ids}:
        return False
    status_set = body.get("statusSet")
    if isinstance(status_set, list) and status_set and rendered["status"] not in status_set:
        return False
    for text_field in ("prompt", "promptEn", "description", "failReason"):
        wanted = body.get(text_field)
        if isinstance(wanted, str) and wanted and wanted not in str(rendered[text_field]):
            return False
    return True


async def query(request: web.Request) -> web.Response:
    """Spring-style page over all tasks (``pageNumber`` is 0-based), like mj_query_page.json."""
    body = await mj_body(request)
    if isinstance(body, web.Response):
        return body
    ctx = context_of(request)
    base = base_of(request)
    rendered = [ctx.mj.render(task, base) for task in ctx.mj.tasks.values()]
    selected = [r for r in rendered if _matches(r, body)]
    sort = str(body.get("sort") or "id,desc")
    key = sort.split(",")[0] or "id"
    selected.sort(key=lambda r: str(r.get(key, "")), reverse=sort.endswith(",desc"))
    page = max(0, as_int(body.get("pageNumber"), 0))
    size = max(1, as_int(body.get("pageSize"), 10))
    content = selected[page * size : (page + 1) * size]
    sorting = {"sorted": True, "unsorted": False, "empty": False}
    total_pages = -(-len(selected) // size)
    return json_response(
        {
            "content": content,
            "pageable": {
                "sort": sorting,
                "pageNumber": page,
                "pageSize": size,
                "offset": page * size,
                "paged": True,
                "unpaged": False,
            },
            "totalPages": total_pages,
            "totalElements": len(selected),
            "last": page >= total_pages - 1,
            "first": page == 0,
            "size": size,
            "number": page,
            "numberOfElements": len(content),
            "empty": not content,
            "sort": sorting,
        }
    )


async def cancel(request: web.Request) -> web.Response:
    ctx = context_of(request)
    task = ctx.mj.get(request.match_info["task_id"])
    if task is None:
        return mj_relay_error("task_no_found")
    if task.status() in FINAL_STATUSES:
        return mj_result(4, "关联任务状态错误")
    ctx.mj.cancel(task)
    return mj_result(1, "成功")


async def image_seed(request: web.Request) -> web.Response:
    ctx = context_of(request)
    task = ctx.mj.get(request.match_info["task_id"])
    if task is None:
        return mj_relay_error("task_no_found")
    if task.status() != "SUCCESS":
        return json_response(ctx.samples.get("mj_image_seed_error.json"))
    return json_response({"code": 1, "description": "成功", "result": ctx.mj.image_seed(task)})


async def image(request: web.Request) -> web.Response:
    """new-api's image proxy: the task's current image, no API key needed."""
    ctx = context_of(request)
    task = ctx.mj.get(request.match_info["task_id"])
    spec = ctx.mj.image_spec(task) if task is not None else None
    if spec is None:
        return json_response(
            {
                "error": {
                    "message": "(simulated relay) no image for this task",
                    "type": "new_api_error",
                }
            },
            404,
        )
    rgb, width, height, _ = spec
    return png_response(width, height, rgb)


def register(app: web.Application) -> None:
    add_mj_route(app, "GET", "/mj/task/list", list_all)
    add_mj_route(app, "POST", "/mj/task/list-by-condition", list_by_condition)
    add_mj_route(app, "POST", "/mj/task/query", query)
    add_mj_route(app, "GET", "/mj/task/queue", queue)
    add_mj_route(app, "POST", "/mj/task/{task_id}/cancel", cancel)
    add_mj_route(app, "GET", "/mj/task/{task_id}/fetch", fetch)
    add_mj_route(app, "GET", "/mj/task/{task_id}/image-seed", image_seed)
    add_mj_route(app, "GET", "/mj/image/{task_id}", image)
