"""Midjourney through the relay (RELAY_API.md §5): submits, task queries, image proxy.

Submits take an optional ``mode`` (fast / relax / turbo) that picks the path prefix
(§5.1): fast is the plain ``/mj/...``; relax and turbo use ``/mj-relax/mj/...`` and
``/mj-turbo/mj/...``. Without ``mode`` the client's default applies. Queries always use
``/mj/...``: a task id is found whichever mode created it.

Submits are paid and never retried once sent; queries (GET, list-by-condition, query)
are retried on transient failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from bot.lenient import as_dict, as_int, as_str
from bot.relay import mj_parse
from bot.relay.envelopes import decode_json, error_in_body
from bot.relay.errors import NotFoundError, RelayDecodeError
from bot.relay.transport import Transport
from bot.relay.types import MjImage, MjMode, MjPage, MjSubmit, MjTask
from bot.relay.wire import (
    MjActionRequest,
    MjBlendRequest,
    MjCommonRequest,
    MjDescribeRequest,
    MjImagineRequest,
    MjModalRequest,
    MjQueryRequest,
    MjShortenRequest,
    MjSwapFaceRequest,
)

BotType = Literal["MID_JOURNEY", "NIJI_JOURNEY"]
Dimensions = Literal["PORTRAIT", "SQUARE", "LANDSCAPE"]
MODES: tuple[str, ...] = get_args(MjMode)


def mode_prefix(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown Midjourney mode {mode!r}; expected one of {MODES}")
    return "" if mode == "fast" else f"/mj-{mode}"


class MidjourneyResource:
    def __init__(
        self, transport: Transport, *, default_mode: MjMode, notify_hook: str | None = None
    ) -> None:
        mode_prefix(default_mode)
        self._transport = transport
        self._default_mode: MjMode = default_mode
        self._default_notify_hook = notify_hook

    def _common(
        self,
        body: MjCommonRequest,
        notify_hook: str | None,
        state: str | None,
        bot_type: str | None,
    ) -> None:
        hook = notify_hook if notify_hook is not None else self._default_notify_hook
        if hook is not None:
            body["notifyHook"] = hook
        if state is not None:
            body["state"] = state
        if bot_type is not None:
            body["botType"] = bot_type

    # --- submits (paid) -------------------------------------------------------------

    async def imagine(
        self,
        prompt: str,
        *,
        images: Sequence[str] = (),
        bot_type: BotType | None = None,
        mode: MjMode | None = None,
        notify_hook: str | None = None,
        state: str | None = None,
    ) -> MjSubmit:
        """``images``: reference images as data URIs (``data:image/png;base64,...``)."""
        body: MjImagineRequest = {"prompt": prompt}
        if images:
            body["base64Array"] = list(images)
        self._common(body, notify_hook, state, bot_type)
        return await self._submit("submit/imagine", body, mode)

    async def action(
        self,
        task_id: str,
        custom_id: str,
        *,
        choose_same_channel: bool | None = None,
        mode: MjMode | None = None,
        notify_hook: str | None = None,
        state: str | None = None,
    ) -> MjSubmit:
        """Press a button of ``task_id``. Check ``needs_modal`` on the answer."""
        body: MjActionRequest = {"customId": custom_id, "taskId": task_id}
        if choose_same_channel is not None:
            body["chooseSameChannel"] = choose_same_channel
        self._common(body, notify_hook, state, None)
        return await self._submit("submit/action", body, mode)

    async def blend(
        self,
        images: Sequence[str],
        *,
        dimensions: Dimensions | None = None,
        bot_type: BotType | None = None,
        mode: MjMode | None = None,
        notify_hook: str | None = None,
        state: str | None = None,
    ) -> MjSubmit:
        """Blend 2-5 images (data URIs)."""
        body: MjBlendRequest = {"base64Array": list(images)}
        if dimensions is not None:
            body["dimensions"] = dimensions
        self._common(body, notify_hook, state, bot_type)
        return await self._submit("submit/blend", body, mode)

    async def describe(
        self,
        image: str | None = None,
        *,
        link: str | None = None,
        bot_type: BotType | None = None,
        mode: MjMode | None = None,
        notify_hook: str | None = None,
        state: str | None = None,
    ) -> MjSubmit:
        """Describe an image given as a data URI (``image``) or, where supported, a URL."""
        if image is None and link is None:
            raise ValueError("describe needs an image data URI or a link")
        body: MjDescribeRequest = {}
        if image is not None:
            body["base64"] = image
        if link is not None:
            body["link"] = link
        self._common(body, notify_hook, state, bot_type)
        return await self._submit("submit/describe", body, mode)

    async def shorten(
        self,
        prompt: str,
        *,
        bot_type: BotType | None = None,
        mode: MjMode | None = None,
        notify_hook: str | None = None,
        state: str | None = None,
    ) -> MjSubmit:
        body: MjShortenRequest = {"prompt": prompt}
        self._common(body, notify_hook, state, bot_type)
        return await self._submit("submit/shorten", body, mode)

    async def modal(
        self,
        task_id: str,
        *,
        prompt: str | None = None,
        mask_base64: str | None = None,
        mode: MjMode | None = None,
        notify_hook: str | None = None,
        state: str | None = None,
    ) -> MjSubmit:
        """Confirm the window of a task in MODAL status (custom zoom, vary region, remix)."""
        body: MjModalRequest = {"taskId": task_id}
        if prompt is not None:
            body["prompt"] = prompt
        if mask_base64 is not None:
            body["maskBase64"] = mask_base64
        self._common(body, notify_hook, state, None)
        return await self._submit("submit/modal", body, mode)

    async def swap_face(
        self,
        source_base64: str,
        target_base64: str,
        *,
        mode: MjMode | None = None,
        notify_hook: str | None = None,
        state: str | None = None,
    ) -> MjSubmit:
        """Put the face of ``source`` onto ``target`` (both data URIs)."""
        body: MjSwapFaceRequest = {"sourceBase64": source_base64, "targetBase64": target_base64}
        self._common(body, notify_hook, state, None)
        return await self._submit("insight-face/swap", body, mode)

    async def _submit(self, route: str, body: object, mode: MjMode | None) -> MjSubmit:
        path = f"{mode_prefix(mode or self._default_mode)}/mj/{route}"
        answer = await self._transport.request_json("POST", path, json_body=body)
        return mj_parse.parse_submit(answer)

    # --- queries (free, retried) ----------------------------------------------------

    async def fetch(self, task_id: str) -> MjTask:
        path = f"/mj/task/{task_id}/fetch"
        raw = await self._transport.request_body("GET", path, idempotent=True)
        # midjourney-proxy answers an unknown id with an empty 200 (Java null: no body).
        body = decode_json(raw.data) if raw.data.strip() else None
        if body is None or body == {}:
            raise NotFoundError(f"Midjourney task {task_id} not found", status=404)
        return mj_parse.parse_task(body)

    async def fetch_many(self, ids: Sequence[str]) -> tuple[MjTask, ...]:
        """Tasks for ``ids`` in one request; unknown ids are simply absent."""
        if not ids:
            return ()
        body = await self._transport.request_json(
            "POST", "/mj/task/list-by-condition", json_body={"ids": list(ids)}, idempotent=True
        )
        return mj_parse.parse_task_list(body)

    async def list_tasks(self) -> tuple[MjTask, ...]:
        body = await self._transport.request_json("GET", "/mj/task/list", idempotent=True)
        return mj_parse.parse_task_list(body)

    async def queue(self) -> tuple[MjTask, ...]:
        body = await self._transport.request_json("GET", "/mj/task/queue", idempotent=True)
        return mj_parse.parse_task_list(body)

    async def query(
        self,
        *,
        page_number: int = 0,
        page_size: int = 10,
        sort: str = "id,desc",
        status: str | None = None,
        action: str | None = None,
        state: str | None = None,
    ) -> MjPage:
        """One page of tasks (``page_number`` is 0-based)."""
        request: MjQueryRequest = {"pageNumber": page_number, "pageSize": page_size, "sort": sort}
        if status is not None:
            request["status"] = status
        if action is not None:
            request["action"] = action
        if state is not None:
            request["state"] = state
        body = await self._transport.request_json(
            "POST", "/mj/task/query", json_body=request, idempotent=True
        )
        return mj_parse.parse_page(body, page_size=page_size)

    async def cancel(self, task_id: str) -> None:
        """Cancel a task that has not started; raises ``RejectedError`` when refused."""
        body = await self._transport.request_json("POST", f"/mj/task/{task_id}/cancel")
        mj_parse.parse_ok(body)

    async def image_seed(self, task_id: str) -> str:
        body = await self._transport.request_json(
            "GET", f"/mj/task/{task_id}/image-seed", idempotent=True
        )
        seed = mj_parse.parse_ok(body)
        if not seed:
            raise RelayDecodeError("the image seed answer has no seed")
        return seed

    async def image(self, task_id: str) -> MjImage:
        """The task's image through the relay's ``/mj/image/{id}`` proxy."""
        raw = await self._transport.request_body("GET", f"/mj/image/{task_id}", idempotent=True)
        if "json" in raw.content_type:
            # An image never comes as JSON: this is an error answered with HTTP 200.
            answer = decode_json(raw.data)
            data = as_dict(answer)
            description = as_str(data.get("description")) or "expected an image, got JSON"
            raise error_in_body(answer) or mj_parse.rejection(
                as_int(data.get("code"), -1), description.strip(), {}
            )
        if not raw.data:
            raise RelayDecodeError("the image answer is empty")
        return MjImage(data=raw.data, content_type=raw.content_type or "application/octet-stream")
