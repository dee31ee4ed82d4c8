"""The simulated relay's aiohttp application: recording, faults, auth, then the routes.

Every request passes one middleware, in this order:

1. it is recorded (:class:`~bot.sim.recording.RecordedRequest`), speed prefix stripped
   (unless ``SimRelay(recorded=...)`` leaves its path out);
2. an armed :class:`~bot.sim.faults.Fault` may answer instead (or delay, cut, drop);
3. an unknown route gets a clear 404 (405 for a wrong method);
4. the API key is checked (``Authorization: Bearer``; ``mj-api-secret`` on ``/mj``);
5. the family's handler answers.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.sim import (
    audio_routes,
    floods,
    luma_routes,
    media_routes,
    mj_query_routes,
    mj_routes,
    openai_routes,
    suno_routes,
)
from bot.sim.context import CONTEXT, TRUNCATE, SimContext, context_of
from bot.sim.envelopes import default_fault_body, json_response, middleware_error
from bot.sim.faults import Fault, split_mode
from bot.sim.recording import RecordedRequest

BANNER = "SIMULATED relay (relaybot test and demo tool; every answer is made up)"
_PUBLIC_PREFIXES = ("/sim/media/", "/mj/image/")
_PUBLIC_PATHS = frozenset({"/", "/sim/health"})


async def _record(
    request: web.Request, path: str, mode: str | None, at: float
) -> RecordedRequest:
    body: Any = None
    form: dict[str, str] = {}
    files: dict[str, tuple[str, str, int]] = {}
    if request.can_read_body:
        if request.content_type.startswith("multipart/") or (
            request.content_type == "application/x-www-form-urlencoded"
        ):
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    size = value.file.seek(0, os.SEEK_END)
                    value.file.seek(0)
                    files[name] = (value.filename, value.content_type, size)
                else:
                    form[name] = str(value)
        else:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
    return RecordedRequest(
        method=request.method,
        path=path,
        mode=mode,
        query=dict(request.query),
        headers=dict(request.headers),
        json=body,
        form=form,
        files=files,
        raw_path=request.path,
        at=at,
    )


def _bearer(value: str) -> str:
    value = value.strip()
    return value[7:].strip() if value.lower().startswith("bearer ") else value


def _normalise_key(key: str) -> str:
    return key[3:] if key.startswith("sk-") else key


def _auth_failure(request: web.Request, path: str, ctx: SimContext) -> web.Response | None:
    expected = ctx.config.api_key
    if expected is None or path in _PUBLIC_PATHS or path.startswith(_PUBLIC_PREFIXES):
        return None
    key = _bearer(request.headers.get("Authorization", ""))
    if path.startswith("/mj") and key in ("", "midjourney-proxy"):
        key = _bearer(request.headers.get("mj-api-secret", ""))
    if not key:
        return middleware_error(401, "未提供令牌", ctx.request_ids)
    if _normalise_key(key) != _normalise_key(expected):
        return middleware_error(401, "无效的令牌", ctx.request_ids)
    return None


async def _serve(request: web.Request, handler: Handler, path: str) -> web.StreamResponse:
    ctx = context_of(request)
    routing_error = request.match_info.http_exception
    if routing_error is not None:
        status = routing_error.status
        what = "no route for" if status == 404 else f"HTTP {status} for"
        message = f"(simulated relay) {what} {request.method} {path}; see RELAY_API.md §10"
        body = {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": "not_found" if status == 404 else "method_not_allowed",
            }
        }
        return json_response(body, status)
    failure = _auth_failure(request, path, ctx)
    if failure is not None:
        return failure
    try:
        answer: web.StreamResponse = await handler(request)
    except ConnectionError:
        # The client hung up mid-answer (a stream it stopped reading): nothing to report.
        return web.Response(status=499)
    return answer


def _cut(body: bytes) -> bytes:
    return body[: max(1, len(body) // 2)]


async def _apply_fault(
    request: web.Request, handler: Handler, path: str, fault: Fault
) -> web.StreamResponse:
    ctx = context_of(request)
    if fault.delay_s > 0:
        await asyncio.sleep(fault.delay_s)
    if fault.hold is not None or fault.lose_answer:
        answer = await _serve(request, handler, path)
        if fault.hold is not None:
            fault.held += 1
            try:
                await fault.hold.wait()
            finally:
                fault.held -= 1
        if not fault.lose_answer:
            return answer
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=204)
    if fault.drop:
        if request.transport is not None:
            request.transport.close()
        # Writing to the closed transport raises ConnectionError, which aiohttp swallows.
        return web.Response(status=204)
    if fault.passthrough:
        return await _serve(request, handler, path)
    if fault.endless:
        return await floods.endless_stream(request)
    if fault.body_mb > 0:
        return await floods.huge_json(request, fault.status, fault.body_mb)
    if fault.truncate:
        if fault.json_body is not None:
            raw = json.dumps(fault.json_body).encode("utf-8")
            return web.Response(
                body=_cut(raw), content_type="application/json", headers=fault.headers
            )
        request[TRUNCATE] = True
        answer = await _serve(request, handler, path)
        if isinstance(answer, web.Response) and isinstance(answer.body, bytes):
            return web.Response(
                body=_cut(answer.body),
                status=200,
                content_type=answer.content_type,
                headers=fault.headers,
            )
        return answer
    if fault.raw_body is not None:  # exactly these bytes and headers, e.g. a gateway's SSE
        return web.Response(body=fault.raw_body, status=fault.status, headers=fault.headers)
    if fault.json_body is not None:
        return json_response(fault.json_body, fault.status, fault.headers)
    if fault.text_body is not None:
        return web.Response(text=fault.text_body, status=fault.status, headers=fault.headers)
    response = default_fault_body(ctx.samples, fault.status, ctx.request_ids)
    response.headers.update(fault.headers)
    return response


@web.middleware
async def _sim_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    ctx = context_of(request)
    path, mode = split_mode(request.path)
    if ctx.log.keeps(path):
        await ctx.log.add(await _record(request, path, mode, ctx.config.clock()))
    fault = ctx.faults.take(request.method, path)
    if fault is not None:
        return await _apply_fault(request, handler, path, fault)
    return await _serve(request, handler, path)


async def _index(request: web.Request) -> web.Response:
    return web.Response(text=f"{BANNER}\nEndpoints: RELAY_API.md §10; media under /sim/media/\n")


def build_app(ctx: SimContext) -> web.Application:
    app = web.Application(middlewares=[_sim_middleware], client_max_size=64 * 1024 * 1024)
    app[CONTEXT] = ctx
    app.router.add_get("/", _index)
    app.router.add_get("/sim/health", _index)
    for family in (
        openai_routes,
        audio_routes,
        mj_routes,
        mj_query_routes,
        suno_routes,
        luma_routes,
        media_routes,
    ):
        family.register(app)
    return app
