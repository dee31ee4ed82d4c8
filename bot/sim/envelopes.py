"""Replayed samples and the relay's error bodies (envelopes A, B and C of RELAY_API §1.3)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import web

SAMPLE_FILES = (
    "chat_completion.json",
    "completion.json",
    "error_bad_request_400.json",
    "error_dalle_content_policy.json",
    "error_insufficient_quota_403.json",
    "error_no_channel_503.json",
    "error_openai_401.json",
    "error_rate_limit_429.json",
    "error_upstream_500.json",
    "mj_task_success_imagine.json",
    "mj_task_success_upscale.json",
    "mj_describe_success.json",
    "mj_shorten_success.json",
    "mj_query_page.json",
    "mj_submit_banned.json",
    "mj_submit_queue_full.json",
    "mj_submit_queued.json",
    "mj_submit_no_account.json",
    "mj_submit_exists_modal.json",
    "mj_image_seed_error.json",
    "suno_v30_fetch_complete.json",
    "luma_task_completed.json",
    "transcription_verbose.json",
)


@dataclass(frozen=True)
class Samples:
    """Parsed copies of ``bot/sim/samples/*.json``; :meth:`get` hands out deep copies."""

    by_name: dict[str, Any]

    def get(self, name: str) -> Any:
        return copy.deepcopy(self.by_name[name])

    def part(self, name: str, key: str) -> Any:
        """A deep copy of one top-level value of a sample (cheaper than :meth:`get`)."""
        return copy.deepcopy(self.by_name[name][key])


def load_samples() -> Samples:
    """Read the packaged samples (blocking: call it through ``asyncio.to_thread``)."""
    folder = resources.files("bot.sim").joinpath("samples")
    return Samples(
        {name: json.loads(folder.joinpath(name).read_text("utf-8")) for name in SAMPLE_FILES}
    )


class RequestIds:
    """``(request id: sim…)`` suffixes, like new-api's middleware errors carry."""

    def __init__(self) -> None:
        self._next = 0

    def new(self) -> str:
        self._next += 1
        return f"sim{self._next:026d}"


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly (no charset suffix)."""
    return json_text_response(json.dumps(body, ensure_ascii=False), status, headers)


def json_text_response(
    text: str, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Text that is JSON already, sent as :func:`json_response` sends a body."""
    return web.Response(
        body=text.encode("utf-8"), status=status, content_type="application/json", headers=headers
    )


def openai_error(
    status: int,
    message: str,
    *,
    error_type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
) -> web.Response:
    """Envelope A in its full form (relay core / upstream errors)."""
    body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    return json_response(body, status)


def middleware_error(
    status: int, message: str, ids: RequestIds, code: str | None = None
) -> web.Response:
    """Envelope A as the relay's middleware sends it: message with a request id, and type."""
    error: dict[str, Any] = {
        "message": f"{message} (request id: {ids.new()})",
        "type": "new_api_error",
    }
    if code is not None:
        error["code"] = code
    return json_response({"error": error}, status)


def sample_error(samples: Samples, name: str, status: int, ids: RequestIds) -> web.Response:
    """A replayed ``error_*.json`` with a fresh request id where the sample had one."""
    body = samples.get(name)
    message = str(body["error"]["message"])
    if "(request id:" in message:
        body["error"]["message"] = f"{message.split(' (request id:')[0]} (request id: {ids.new()})"
    return json_response(body, status)


def default_fault_body(samples: Samples, status: int, ids: RequestIds) -> web.Response:
    """The realistic envelope a fault with only a status sends."""
    by_status = {
        400: "error_bad_request_400.json",
        401: "error_openai_401.json",
        403: "error_insufficient_quota_403.json",
        429: "error_rate_limit_429.json",
        500: "error_upstream_500.json",
        503: "error_no_channel_503.json",
    }
    name = by_status.get(status)
    if name is not None:
        return sample_error(samples, name, status, ids)
    return middleware_error(status, f"(simulated) injected HTTP {status}", ids)


def mj_relay_error(reason: str, detail: str = "", status: int = 400) -> web.Response:
    """Envelope B as new-api raises it itself: HTTP 400 ``{"description","type","code":4}``."""
    return json_response(
        {"description": f"{reason} {detail}", "type": "upstream_error", "code": 4}, status
    )


def mj_result(
    code: int, description: str, result: str | None = None, properties: dict[str, Any] | None = None
) -> web.Response:
    """Envelope B as midjourney-proxy answers a submit (HTTP 200, any ``code``)."""
    body = {
        "code": code,
        "description": description,
        "properties": properties or {},
        "result": result,
    }
    return json_response(body)


def wrapped(
    data: Any, status: int = 200, code: int = 200, message: str = "success"
) -> web.Response:
    """Envelope C (Suno / Luma wrappers)."""
    return json_response({"code": code, "data": data, "message": message}, status)
