"""Luma video (RELAY_API.md §7): generate, then poll the task.

The task route's query name is unconfirmed (§7.2), so ``task`` tries ``?id=``, then
``?task_id=``, then Luma's own ``/luma/v1/generations/{id}``, moving on only when an
attempt is answered with 400/404 or with no generation in it. The answer may be the
generation object, a one-element array of it, the ``{"code":200,"data":...}`` wrapper or
other relays' ``{"code":"success","data":[{..., "data": {generation}}]}`` batch wrapper.
"""

from __future__ import annotations

from bot.lenient import as_dict, as_str, first_present, opt_str
from bot.relay.envelopes import unwrap_wrapper
from bot.relay.errors import BadRequestError, NotFoundError, RelayDecodeError
from bot.relay.transport import Transport
from bot.relay.types import LumaGeneration, LumaState
from bot.relay.wire import LumaGenerateRequest

GENERATIONS = "/luma/v1/generations"
TASK = "/luma/v1/task"
# Batch-wrapper task statuses, for when the inner generation is missing or stale.
_WRAPPER_STATES = {"SUCCESS": "completed", "FAILURE": "failed", "IN_PROGRESS": "processing"}


def _asset_url(value: object, key: str = "url") -> str | None:
    return opt_str(as_dict(value).get(key)) if isinstance(value, dict) else opt_str(value)


def _generation_dict(body: object) -> tuple[dict[str, object], dict[str, object]]:
    """(generation, batch-wrapper entry or {}) from any of the accepted shapes."""
    data = unwrap_wrapper(body)
    if isinstance(data, list):
        data = data[0] if data else {}
    entry = as_dict(data)
    inner = entry.get("data")
    if isinstance(inner, dict | list) and "task_id" in entry:
        generation = as_dict(inner[0] if isinstance(inner, list) and inner else inner)
        return generation, entry
    return entry, {}


def parse_generation(body: object) -> LumaGeneration:
    data, wrapper = _generation_dict(body)
    gen_id = as_str(first_present(data, "id", "task_id") or wrapper.get("task_id"))
    if not gen_id:
        raise RelayDecodeError("the Luma answer has no generation")
    state_text = as_str(data.get("state"))
    if not state_text:
        state_text = _WRAPPER_STATES.get(as_str(wrapper.get("status")).upper(), "unknown")
    state = LumaState(state_text)
    if as_str(wrapper.get("status")).upper() == "FAILURE":
        state = LumaState.FAILED
    failure = first_present(data, "failure_reason", "fail_reason") or wrapper.get("fail_reason")
    return LumaGeneration(
        id=gen_id,
        state=state,
        prompt=as_str(first_present(data, "prompt", "user_prompt")),
        video_url=_asset_url(data.get("video")),
        video_download_url=_asset_url(data.get("video"), "download_url"),
        thumbnail_url=_asset_url(data.get("thumbnail")),
        last_frame_url=_asset_url(data.get("last_frame")),
        failure_reason=opt_str(failure),
        created_at=opt_str(data.get("created_at")),
    )


class LumaResource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def generate(
        self,
        prompt: str,
        *,
        aspect_ratio: str | None = None,
        expand_prompt: bool | None = None,
        image_url: str | None = None,
        image_end_url: str | None = None,
        loop: bool | None = None,
        notify_hook: str | None = None,
    ) -> LumaGeneration:
        """Start a video (paid: never retried once sent). Poll ``task(result.id)``."""
        request: LumaGenerateRequest = {"user_prompt": prompt}
        if aspect_ratio is not None:
            request["aspect_ratio"] = aspect_ratio
        if expand_prompt is not None:
            request["expand_prompt"] = expand_prompt
        if image_url is not None:
            request["image_url"] = image_url
        if image_end_url is not None:
            request["image_end_url"] = image_end_url
        if loop is not None:
            request["loop"] = loop
        if notify_hook is not None:
            request["notify_hook"] = notify_hook
        body = await self._transport.request_json("POST", GENERATIONS, json_body=request)
        return parse_generation(body)

    async def task(self, generation_id: str) -> LumaGeneration:
        attempts: list[tuple[str, dict[str, str] | None]] = [
            (TASK, {"id": generation_id}),
            (TASK, {"task_id": generation_id}),
            (f"{GENERATIONS}/{generation_id}", None),
        ]
        last_error: NotFoundError | BadRequestError | RelayDecodeError | None = None
        for path, params in attempts:
            try:
                body = await self._transport.request_json(
                    "GET", path, params=params, idempotent=True
                )
                return parse_generation(body)
            except (NotFoundError, BadRequestError, RelayDecodeError) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error
