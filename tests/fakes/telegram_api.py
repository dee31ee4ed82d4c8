"""A fake Telegram Bot API server on loopback, for python-telegram-bot in tests.

Serves ``/bot{token}/{method}`` and ``/file/bot{token}/{path}`` like api.telegram.org:
form or multipart bodies (non-string values JSON-encoded, files as parts), answers
``{"ok": true, "result": ...}`` with objects PTB 22's constructors accept, and
``getUpdates`` long-polls (honouring ``offset`` and ``timeout``) until an update is
injected or the server stops. Every call is recorded; tests wait on them::

    async with FakeTelegram() as fake:
        app = Application.builder().token(fake.token).base_url(fake.base_url)...
        alice = fake.user()
        chat = fake.private_chat(alice)
        fake.send_text(chat, alice, "/help")
        [call] = await fake.wait_for("sendMessage")

Scripted failures (:meth:`FakeTelegram.fail`, :meth:`flood`, :meth:`reject_html`) answer
the next matching calls with a Bot API error instead; :meth:`FakeTelegram.hold` keeps
matching calls waiting (a deterministic moment to kill the bot at); ``edit_interval_s``
makes it refuse (429 with ``retry_after``) a second edit of one message sooner than that, as
Telegram's flood control does. Each call records ``at``, the event loop time it arrived. Unknown
methods are answered 404 and listed in :attr:`FakeTelegram.protocol_errors`, which a
fixture asserts is empty.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Self

from aiohttp import BodyPartReader, web

from tests.fakes.telegram_methods import BotMethods
from tests.fakes.telegram_users import TgChat, TgUser, UserActions
from tests.fakes.telegram_world import (
    JSON,
    ApiError,
    BotMessage,
    FakeWorld,
    UploadedFile,
)

__all__ = ["ApiCall", "BotMessage", "FakeTelegram", "TgChat", "TgUser", "UploadedFile"]

DEFAULT_TOKEN: Final = "123456:TEST-token"
MAX_BODY: Final = 60 * 1024 * 1024  # above the 50 MB upload limit, so the fake can say 413
_TEXT_KEYS: Final = frozenset({
    "text", "caption", "title", "performer", "callback_query_id", "file_id", "data", "url",
    "secret_token", "description", "action", "parse_mode", "language_code", "filename",
    "input_field_placeholder", "emoji", "question",
})
_SCALAR_RE: Final = re.compile(r"^(-?\d+(\.\d+)?|true|false|null)$")


@dataclass(frozen=True, slots=True)
class ApiCall:
    method: str
    params: JSON
    files: Mapping[str, UploadedFile] = field(default_factory=dict)
    ok: bool = True
    error: str | None = None
    result: Any = None
    at: float = 0.0  # event loop time the request arrived

    def file(self, name: str | None = None) -> UploadedFile:
        """The uploaded file of this call (by part name, or the only one)."""
        if name is not None:
            return self.files[name]
        if len(self.files) != 1:
            raise KeyError(f"{self.method} uploaded {sorted(self.files)}")
        return next(iter(self.files.values()))


@dataclass(slots=True)
class _Failure:
    method: str
    error: ApiError
    times: int | None
    match: Callable[[ApiCall], bool] | None


@dataclass
class _Hold:
    method: str
    gate: asyncio.Event
    times: int | None
    match: Callable[[ApiCall], bool] | None


class FakeTelegram(UserActions):
    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_id: int = 777_000,
        bot_username: str = "relay_test_bot",
        edit_interval_s: float | None = None,
    ) -> None:
        self.token = token
        self.edit_interval_s = edit_interval_s
        self._last_edit: dict[tuple[int, int], float] = {}
        self.world = FakeWorld(bot_id=bot_id, bot_username=bot_username)
        self._methods = BotMethods(self.world)
        self.calls: list[ApiCall] = []
        self.protocol_errors: list[str] = self.world.protocol_errors
        self._failures: list[_Failure] = []
        self._holds: list[_Hold] = []
        self.held = 0  # calls kept waiting by a hold right now
        self._updates: list[JSON] = []
        # update_id -> (loop time getUpdates first handed it to the bot, the update)
        self.handed_out: dict[int, tuple[float, JSON]] = {}
        self._next_update_id = 1
        self._changed = asyncio.Condition()
        self._stopping = False
        self._notifying: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._init_users()

    # -- lifecycle -------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1") -> str:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        if self._notifying:
            await asyncio.wait(set(self._notifying))
        async with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def bot_username(self) -> str:
        return str(self.world.bot_user["username"])

    # -- what the bot did ------------------------------------------------------------

    def sent(self, method: str) -> list[ApiCall]:
        """Successful calls of ``method``, oldest first."""
        return [c for c in self.calls if c.method == method and c.ok]

    def messages_in(self, chat: TgChat | int, thread: int | None = None) -> list[BotMessage]:
        """The bot's messages in a chat (optionally a topic) as they look now."""
        chat_id = chat if isinstance(chat, int) else chat.id
        return [
            m for (cid, _), m in sorted(self.world.bot_messages.items())
            if cid == chat_id and not m.deleted and (thread is None or m.thread_id == thread)
        ]

    async def wait_for(
        self, method: str, count: int = 1, *, wait_s: float = 5.0, include_failed: bool = False
    ) -> list[ApiCall]:
        """Wait until ``method`` was called (successfully) ``count`` times; returns the calls."""

        def matching() -> list[ApiCall]:
            return [c for c in self.calls
                    if c.method == method and (c.ok or include_failed)]

        await self.wait_until(lambda: len(matching()) >= count, wait_s=wait_s,
                              what=f"{count} × {method}")
        return matching()

    async def wait_until(
        self, predicate: Callable[[], bool], *, wait_s: float = 5.0, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` holds; it is re-checked after every call and update."""
        try:
            async with asyncio.timeout(wait_s), self._changed:
                await self._changed.wait_for(predicate)
        except TimeoutError:
            seen = [c.method for c in self.calls if c.method != "getUpdates"]
            raise AssertionError(f"timed out waiting for {what}; calls: {seen}") from None

    # -- scripted failures -----------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        code: int = 400,
        description: str = "Bad Request: scripted failure",
        retry_after: int | None = None,
        times: int | None = 1,
        match: Callable[[ApiCall], bool] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (matching ``match``) with an error."""
        error = ApiError(code, description, retry_after)
        self._failures.append(_Failure(method, error, times, match))

    def hold(
        self,
        method: str,
        gate: asyncio.Event,
        *,
        times: int | None = 1,
        match: Callable[[ApiCall], bool] | None = None,
    ) -> None:
        """Keep the next ``times`` calls of ``method`` (matching ``match``) unanswered until
        ``gate`` is set; then they are handled as usual (:attr:`held` counts the waiting)."""
        self._holds.append(_Hold(method, gate, times, match))

    def flood(self, method: str, retry_after: int, *, times: int | None = 1) -> None:
        """Answer 429 (``times=None``: until :meth:`stop_failing`)."""
        self.fail(method, code=429, retry_after=retry_after, times=times,
                  description=f"Too Many Requests: retry after {retry_after}")

    def stop_failing(self, method: str) -> None:
        """Disarm every scripted failure of ``method``."""
        self._failures = [f for f in self._failures if f.method != method]

    def reject_html(self, method: str = "sendMessage", *, times: int = 1) -> None:
        """Refuse HTML the way Telegram refuses entities it cannot parse."""
        self.fail(method, times=times, match=lambda c: c.params.get("parse_mode") == "HTML",
                  description="Bad Request: can't parse entities: unsupported start tag "
                  '"x" at byte offset 0')

    # -- updates ---------------------------------------------------------------------

    def _push(self, kind: str, payload: JSON) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, kind: payload})
        task = asyncio.get_running_loop().create_task(self._notify())
        self._notifying.add(task)
        task.add_done_callback(self._notifying.discard)
        return update_id

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _get_updates(self, params: JSON) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            before = len(self._updates)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if len(self._updates) != before:
                await self._notify()  # confirmed updates are gone for good: waiters re-check
        if not self._updates and timeout > 0 and not self._stopping:
            try:
                async with asyncio.timeout(timeout), self._changed:
                    await self._changed.wait_for(lambda: bool(self._updates) or self._stopping)
            except TimeoutError:
                pass
        batch = self._updates[:limit]
        now = asyncio.get_running_loop().time()
        for update in batch:
            self.handed_out.setdefault(update["update_id"], (now, update))
        return batch

    # -- HTTP ------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            self.protocol_errors.append(f"{method}: wrong token")
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        at = asyncio.get_running_loop().time()
        params, files = await _read_params(request)
        if method == "getUpdates":
            updates = await self._get_updates(params)
            await self._record(ApiCall(method, params, files, result=updates, at=at))
            return web.json_response({"ok": True, "result": updates})
        handler = self._methods.table.get(method)
        if handler is None:
            self.protocol_errors.append(f"unknown method {method}")
            await self._record(ApiCall(method, params, files, ok=False, error="unknown", at=at))
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        call = ApiCall(method, params, files, at=at)
        gate = self._take_hold(call)
        if gate is not None:
            self.held += 1
            await self._notify()
            try:
                await gate.wait()
            finally:
                self.held -= 1
        try:
            self._scripted_failure(call)
            self._edit_flood_control(call)
            result = handler(params, files)
        except ApiError as exc:
            await self._record(
                ApiCall(method, params, files, ok=False, error=exc.description, at=at)
            )
            return web.json_response(exc.body(), status=exc.code)
        await self._record(ApiCall(method, params, files, result=result, at=at))
        return web.json_response({"ok": True, "result": result})

    def _edit_flood_control(self, call: ApiCall) -> None:
        """With ``edit_interval_s``: 429 for an edit of one message sooner than that."""
        interval = self.edit_interval_s
        if interval is None or not call.method.startswith("editMessage"):
            return
        try:
            key = (int(call.params["chat_id"]), int(call.params["message_id"]))
        except (KeyError, TypeError, ValueError):
            return  # the method itself answers the malformed call
        last = self._last_edit.get(key)
        if last is not None and call.at - last < interval:
            wait = max(1, math.ceil(interval - (call.at - last)))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        self._last_edit[key] = call.at

    def _take_hold(self, call: ApiCall) -> asyncio.Event | None:
        for hold in self._holds:
            if hold.method != call.method or hold.times == 0:
                continue
            if hold.match is not None and not hold.match(call):
                continue
            if hold.times is not None:
                hold.times -= 1
            return hold.gate
        return None

    def _scripted_failure(self, call: ApiCall) -> None:
        for failure in self._failures:
            if failure.method != call.method or failure.times == 0:
                continue
            if failure.match is not None and not failure.match(call):
                continue
            if failure.times is not None:
                failure.times -= 1
            raise failure.error

    async def _record(self, call: ApiCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self.world.file_by_path(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            self.protocol_errors.append(f"file download failed: {request.path}")
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, content_type="application/octet-stream")


async def _read_params(request: web.Request) -> tuple[JSON, dict[str, UploadedFile]]:
    raw: dict[str, str] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            if part.filename is not None:
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                data = bytes(await part.read())
                files[name] = UploadedFile(name, part.filename, content_type, data)
            else:
                raw[name] = await part.text()
    elif request.content_type == "application/json":
        body = await request.json()
        return dict(body), files
    elif request.can_read_body:
        form = await request.post()
        raw.update({k: v for k, v in form.items() if isinstance(v, str)})
    return {key: _decode(key, value) for key, value in raw.items()}, files


def _decode(key: str, value: str) -> Any:
    """PTB JSON-encodes every non-string value; decode those, keep texts as sent."""
    if key in _TEXT_KEYS:
        return value
    if value.startswith(("{", "[")) or _SCALAR_RE.match(value):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
