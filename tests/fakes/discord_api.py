"""A fake Discord for tests: the gateway websocket and the REST API on 127.0.0.1.

The real discord.py client talks to it (``Route.BASE`` and ``DEFAULT_GATEWAY`` pointed
here). The gateway sends HELLO, ACKs heartbeats, answers IDENTIFY with READY and one
GUILD_CREATE (a guild with two text channels and a thread), and then pushes whatever a
test scripts: slash commands with typed options and resolved attachments, autocomplete,
component clicks, modal submits and plain messages. Text frames, no compression (JSON
text frames are what discord.py decodes when it gets no bytes).

REST keeps messages in memory (created by interaction callbacks, follow-ups and channel
posts; edited by the matching PATCH routes) so a click can carry the message with its
components, as Discord does. Every request is recorded as a :class:`Call`; tests wait
for calls with :meth:`FakeDiscord.wait_for` (an ``asyncio.Condition``, no sleeps).
Unknown routes answer 404 and are listed in :attr:`FakeDiscord.unknown` for the fixture
to fail the test. :meth:`FakeDiscord.fail` scripts errors such as a 429 with
``retry_after``.

discord.py decodes a body as JSON only when Content-Type is exactly
``application/json``, so responses set that header themselves.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import mimetypes
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

Json = dict[str, Any]
DISCORD_EPOCH_MS = 1_420_070_400_000
TOKEN = "fake-discord-token"
MESSAGE_CONTENT_INTENT = 1 << 15
EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request (``files[n]``)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str  # without the /api/v10 prefix
    query: Mapping[str, str]
    json: Any  # the JSON body, or payload_json of a multipart body
    files: tuple[Upload, ...] = ()
    status: int = 200
    at: float = 0.0  # the fake's clock when the call arrived

    @property
    def content(self) -> str | None:
        body = self.json if isinstance(self.json, dict) else {}
        data = body.get("data") if "type" in body and "data" in body else body
        return data.get("content") if isinstance(data, dict) else None


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file a fake user attaches (served from the fake's CDN path)."""

    filename: str
    data: bytes
    content_type: str


@dataclass(slots=True)
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Json
    headers: Mapping[str, str]
    times: int


@dataclass(slots=True)
class InteractionState:
    id: str
    token: str
    type: int
    channel_id: str
    message_id: str | None = None  # the component's message (type 3/5 from a component)
    original_id: str | None = None  # the response message
    response_type: int | None = None
    modal: Json | None = None
    choices: list[Json] = field(default_factory=list)


def _pattern(template: str) -> re.Pattern[str]:
    """``/channels/*/messages`` → a regex where ``*`` is one path segment."""
    return re.compile("^" + re.escape(template).replace(r"\*", "[^/]+") + "$")


class FakeDiscord:
    def __init__(
        self,
        *,
        heartbeat_ms: int = 250,
        attachment_size_limit: int = 10 * 1024 * 1024,
        application_id: str = "900000000000000001",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.heartbeat_ms = heartbeat_ms
        self.attachment_size_limit = attachment_size_limit
        self.application_id = application_id
        self.bot_user: Json = _user("900000000000000001", "relaybot", bot=True)
        self.guild_id = "910000000000000001"
        self.channel_id = "920000000000000001"
        self.other_channel_id = "920000000000000002"
        self.thread_id = "930000000000000001"
        self.user: Json = _user("940000000000000001", "alice")
        self.other_user: Json = _user("940000000000000002", "bob")
        self.calls: list[Call] = []
        self.unknown: list[str] = []
        self.messages: dict[str, Json] = {}
        self.interactions: dict[str, InteractionState] = {}  # by token
        self.commands: dict[str, list[Json]] = {}  # "global" or guild id → last PUT
        self.identify: list[Json] = []
        self.heartbeats = 0
        self._cdn: dict[str, LocalFile] = {}
        self._failures: list[_Failure] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/cdn/{path:.*}", self._cdn_file)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/gateway"

    # -- observing -------------------------------------------------------------------

    def calls_to(self, method: str, template: str) -> list[Call]:
        pattern = _pattern(template)
        return [
            c for c in self.calls if method in ("*", c.method) and pattern.match(c.path)
        ]

    async def wait_for(
        self,
        method: str,
        template: str,
        count: int = 1,
        *,
        where: Callable[[Call], bool] = lambda call: True,
        timeout_s: float = 5.0,
    ) -> list[Call]:
        """Wait until ``count`` calls match; return all matching calls."""

        def matching() -> list[Call]:
            return [c for c in self.calls_to(method, template) if where(c)]

        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(matching()) >= count), timeout_s
            )
        return matching()

    async def wait_until(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout_s)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def fail(
        self,
        method: str,
        template: str,
        *,
        status: int = 429,
        retry_after: float = 0.01,
        times: int = 1,
        body: Json | None = None,
    ) -> None:
        """The next ``times`` matching requests fail (429 answers carry ``retry_after``)."""
        headers: dict[str, str] = {"Via": "1.1 google"}
        if status == 429:
            body = body or {"message": "You are being rate limited.",
                            "retry_after": retry_after, "global": False}
            headers.update({"Retry-After": str(retry_after), "X-RateLimit-Scope": "user"})
        body = body or {"message": "scripted failure", "code": 0}
        self._failures.append(_Failure(method, _pattern(template), status, body, headers, times))

    def channel_messages(self, channel_id: str) -> list[Json]:
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]

    # -- pushing events --------------------------------------------------------------

    async def dispatch(self, event: str, data: Json) -> None:
        frame = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        for ws in list(self._sockets):
            await ws.send_str(json.dumps(frame))

    async def slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: Json | None = None,
        channel_id: str | None = None,
        focused: str | None = None,
    ) -> InteractionState:
        """A user runs ``/name`` (type 2), or types in option ``focused`` (autocomplete, 4).

        Values: str/int/float/bool, or :class:`LocalFile` for attachment options."""
        resolved: dict[str, Json] = {}
        wire_options = []
        for key, value in (options or {}).items():
            option: Json = {"name": key, "type": _option_type(value), "value": value}
            if isinstance(value, LocalFile):
                attachment = self._attachment(value, channel_id or self.channel_id)
                resolved[attachment["id"]] = attachment
                option["value"] = attachment["id"]
            if key == focused:
                option["focused"] = True
            wire_options.append(option)
        data: Json = {"id": self.snowflake(), "name": name, "type": 1, "options": wire_options}
        if resolved:
            data["resolved"] = {"attachments": resolved}
        return await self._interact(4 if focused else 2, data, user=user, channel_id=channel_id)

    async def click(
        self, message_id: str, custom_id: str, *, user: Json | None = None
    ) -> InteractionState:
        message = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(
            3, data, user=user, channel_id=message["channel_id"], message=message
        )

    async def submit_modal(
        self, shown_by: InteractionState, values: Sequence[str], *, user: Json | None = None
    ) -> InteractionState:
        """Submit the modal ``shown_by`` answered with, filling its inputs in order."""
        assert shown_by.modal is not None, "that interaction did not open a modal"
        answers = iter(values)
        rows = []
        for row in shown_by.modal["components"]:
            if row["type"] == 18:
                inner = row["component"]
                rows.append({"type": 18, "component": {
                    "type": 4, "custom_id": inner["custom_id"], "value": next(answers)}})
            else:
                rows.append({"type": 1, "components": [
                    {"type": 4, "custom_id": c["custom_id"], "value": next(answers)}
                    for c in row["components"]
                ]})
        data = {"custom_id": shown_by.modal["custom_id"], "components": rows}
        message = self.messages.get(shown_by.message_id or "")
        return await self._interact(
            5, data, user=user, channel_id=shown_by.channel_id, message=message
        )

    async def post_message(
        self,
        content: str,
        *,
        user: Json | None = None,
        channel_id: str | None = None,
        mention_bot: bool = False,
        reply_to: str | None = None,
        files: Sequence[LocalFile] = (),
    ) -> Json:
        """A user writes in a channel (MESSAGE_CREATE)."""
        channel = channel_id or self.channel_id
        author = user or self.user
        if mention_bot:
            content = f"<@{self.bot_user['id']}> {content}"
        mentions = [self.bot_user] if mention_bot else []
        message = self._message(channel, content, author=author)
        message["attachments"] = [self._attachment(f, channel) for f in files]
        if reply_to is not None:
            referenced = self.messages[reply_to]
            message["type"] = 19
            message["message_reference"] = {"message_id": reply_to, "channel_id": channel,
                                            "guild_id": self.guild_id}
            message["referenced_message"] = referenced
            if referenced["author"]["id"] == self.bot_user["id"]:
                mentions = [self.bot_user]  # a reply pings its author by default
        message["mentions"] = mentions
        if not self._sees_content(mentions):
            message["content"] = ""
            message["attachments"] = []
        self.messages[message["id"]] = message
        await self.dispatch("MESSAGE_CREATE", {**message, "guild_id": self.guild_id,
                                               "member": _member(author)})
        return message

    def _sees_content(self, mentions: Sequence[Json]) -> bool:
        intents = int(self.identify[-1].get("intents", 0)) if self.identify else 0
        return bool(intents & MESSAGE_CONTENT_INTENT) or self.bot_user in mentions

    async def _interact(
        self,
        kind: int,
        data: Json,
        *,
        user: Json | None,
        channel_id: str | None,
        message: Json | None = None,
    ) -> InteractionState:
        channel = channel_id or self.channel_id
        state = InteractionState(self.snowflake(), f"itoken-{next(self._ids)}", kind, channel,
                                 message_id=message["id"] if message else None)
        self.interactions[state.token] = state
        payload: Json = {
            "id": state.id, "application_id": self.application_id, "type": kind, "data": data,
            "guild_id": self.guild_id, "channel_id": channel, "channel": self._channel(channel),
            "member": _member(user or self.user, permissions="2248473465835073"),
            "token": state.token, "version": 1, "app_permissions": "2248473465835073",
            "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id}, "context": 0,
            "attachment_size_limit": self.attachment_size_limit,
        }
        if message is not None:
            payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return state

    # -- gateway ---------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}})
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                frame = json.loads(msg.data)
                if frame["op"] == 1:
                    self.heartbeats += 1
                    await ws.send_json({"op": 11})
                elif frame["op"] == 2:
                    self.identify.append(frame["d"])
                    await self._ready(ws)
                    await self._notify()
        finally:
            self._sockets.remove(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        ready = {
            "v": 10, "user": self.bot_user, "session_id": f"session-{next(self._ids)}",
            "resume_gateway_url": self.gateway_url, "guilds": [
                {"id": self.guild_id, "unavailable": True}],
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [], "relationships": [],
        }
        await ws.send_json({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
        await ws.send_json({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq),
                            "d": self._guild()})

    def _guild(self) -> Json:
        everyone = {"id": self.guild_id, "name": "@everyone", "permissions": "2248473465835073",
                    "position": 0, "color": 0, "hoist": False, "managed": False,
                    "mentionable": False, "flags": 0}
        return {
            "id": self.guild_id, "name": "Fake guild", "icon": None, "owner_id": self.user["id"],
            "roles": [everyone], "emojis": [], "stickers": [], "features": [],
            "channels": [self._channel(self.channel_id), self._channel(self.other_channel_id)],
            "threads": [self._channel(self.thread_id)],
            "members": [_member(self.bot_user)], "member_count": 3, "large": False,
            "unavailable": False, "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [], "premium_tier": 0,
            "preferred_locale": "en-US", "mfa_level": 0, "verification_level": 0,
            "explicit_content_filter": 0, "default_message_notifications": 0, "nsfw_level": 0,
            "system_channel_flags": 0, "afk_timeout": 300, "joined_at": _now_iso(),
        }

    def _channel(self, channel_id: str) -> Json:
        if channel_id == self.thread_id:
            return {
                "id": channel_id, "type": 11, "name": "a thread", "guild_id": self.guild_id,
                "parent_id": self.channel_id, "owner_id": self.user["id"], "message_count": 0,
                "member_count": 2, "rate_limit_per_user": 0, "flags": 0,
                "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                    "archive_timestamp": _now_iso(), "locked": False},
            }
        return {
            "id": channel_id, "type": 0, "name": f"general-{channel_id[-1]}",
            "guild_id": self.guild_id, "position": int(channel_id[-1]),
            "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
            "rate_limit_per_user": 0, "last_message_id": None,
        }

    # -- REST ------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body, files = await _read_body(request)
        failure = self._take_failure(request.method, path)
        if failure is not None:
            self.calls.append(Call(request.method, path, dict(request.query), body, files,
                                   failure.status, self.clock()))
            await self._notify()
            return _json(failure.body, failure.status, failure.headers)
        handler = self._route(request.method, path)
        needs_token = not path.startswith(("/webhooks/", "/interactions/"))
        if needs_token and request.headers.get("Authorization") != f"Bot {TOKEN}":
            response: web.StreamResponse = _json({"message": "401: Unauthorized", "code": 0}, 401)
        elif handler is None:
            self.unknown.append(f"{request.method} {path}")
            response = _json({"message": "404: Not Found", "code": 0}, 404)
        else:
            response = handler(path.split("/"), request.query, body, files)
        self.calls.append(Call(request.method, path, dict(request.query), body, files,
                               response.status, self.clock()))
        await self._notify()
        return response

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method == method and failure.pattern.match(path) and failure.times > 0:
                failure.times -= 1
                return failure
        return None

    Handler = Callable[[list[str], Mapping[str, str], Any, tuple[Upload, ...]], web.StreamResponse]

    def _route(self, method: str, path: str) -> Handler | None:
        routes: list[tuple[str, str, FakeDiscord.Handler]] = [
            ("GET", "/users/@me", lambda *_: _json(self.bot_user)),
            ("GET", "/oauth2/applications/@me", lambda *_: _json(self._app_info())),
            ("GET", "/gateway", lambda *_: _json({"url": self.gateway_url})),
            ("GET", "/gateway/bot", lambda *_: _json(self._gateway_bot())),
            ("PUT", "/applications/*/commands", self._put_commands),
            ("PUT", "/applications/*/guilds/*/commands", self._put_commands),
            ("POST", "/interactions/*/*/callback", self._callback),
            ("GET", "/webhooks/*/*/messages/*", self._webhook_get),
            ("PATCH", "/webhooks/*/*/messages/*", self._webhook_edit),
            ("DELETE", "/webhooks/*/*/messages/*", self._webhook_delete),
            ("POST", "/webhooks/*/*", self._followup),
            ("POST", "/channels/*/messages", self._channel_post),
            ("PATCH", "/channels/*/messages/*", self._channel_edit),
            ("GET", "/channels/*/messages/*", self._channel_get),
            ("POST", "/channels/*/typing", lambda *_: web.Response(status=204)),
        ]
        for route_method, template, handler in routes:
            if route_method == method and _pattern(template).match(path):
                return handler
        return None

    def _app_info(self) -> Json:
        return {
            "id": self.application_id, "name": "relaybot", "description": "", "icon": None,
            "bot_public": True, "bot_require_code_grant": False, "owner": self.user,
            "verify_key": "0" * 64, "flags": 0, "team": None,
        }

    def _gateway_bot(self) -> Json:
        return {"url": self.gateway_url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}

    def _put_commands(self, parts: list[str], _q: Any, body: Any, _f: Any) -> web.Response:
        problems = [p for command in body for p in _command_problems(command)]
        if problems:
            self.unknown.extend(problems)  # fails the test like an unknown route
            return _json({"message": "Invalid Form Body", "code": 50035,
                          "errors": problems}, 400)
        scope = parts[4] if len(parts) > 5 else "global"
        registered = [{**c, "id": self.snowflake(), "application_id": self.application_id,
                       "version": self.snowflake(), "default_member_permissions": None,
                       "type": c.get("type", 1)} for c in body]
        if scope != "global":
            for command in registered:
                command["guild_id"] = scope
        self.commands[scope] = registered
        return _json(registered)

    def _callback(self, parts: list[str], _q: Any, body: Any, files: Any) -> web.Response:
        state = self.interactions.get(parts[3])
        if state is None or state.id != parts[2]:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if state.response_type is not None:
            return _json({"message": "Interaction has already been acknowledged.",
                          "code": 40060}, 400)
        kind = body["type"]
        data = body.get("data") or {}
        state.response_type = kind
        message: Json | None = None
        if kind in (4, 5):
            flags = (data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            message = self._create(state.channel_id, data, files, flags=flags)
            message["interaction_token"] = state.token
            state.original_id = message["id"]
        elif kind in (6, 7) and state.message_id is not None:
            state.original_id = state.message_id
            message = self.messages[state.message_id]
            if kind == 7:
                self._apply_edit(message, data, files)
        elif kind == 8:
            state.choices = data.get("choices", [])
            return web.Response(status=204)
        elif kind == 9:
            state.modal = data
        answer: Json = {"interaction": {
            "id": state.id, "type": state.type, "response_message_id": state.original_id,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool((message or {}).get("flags", 0) & EPHEMERAL)}}
        answer["resource"] = {"type": kind, **({"message": message} if message else {})}
        return _json(answer)

    def _target(self, parts: list[str]) -> str | None:
        """The message a webhook route names (``@original`` or an id) for its token."""
        state = self.interactions.get(parts[3])
        if state is None:
            return None
        return state.original_id if parts[5] == "@original" else parts[5]

    def _webhook_get(self, parts: list[str], *_: Any) -> web.Response:
        message_id = self._target(parts)
        if message_id is None or message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        return _json(self.messages[message_id])

    def _webhook_edit(self, parts: list[str], _q: Any, body: Any, files: Any) -> web.Response:
        message_id = self._target(parts)
        if message_id is None or message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        message = self.messages[message_id]
        self._apply_edit(message, body, files)
        message["flags"] = message.get("flags", 0) & ~LOADING
        return _json(message)

    def _webhook_delete(self, parts: list[str], *_: Any) -> web.Response:
        message_id = self._target(parts)
        if message_id is None or self.messages.pop(message_id, None) is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        return web.Response(status=204)

    def _followup(self, parts: list[str], _q: Any, body: Any, files: Any) -> web.Response:
        state = self.interactions.get(parts[3])
        if state is None or state.response_type is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        original = self.messages.get(state.original_id or "")
        if original is not None and original.get("flags", 0) & LOADING:
            # Discord: the first follow-up after a "thinking" defer replaces that message.
            self._apply_edit(original, body, files)
            original["flags"] = original["flags"] & ~LOADING
            return _json(original)
        message = self._create(state.channel_id, body, files, flags=body.get("flags") or 0)
        message["webhook_id"] = self.application_id
        return _json(message)

    def _channel_post(self, parts: list[str], _q: Any, body: Any, files: Any) -> web.Response:
        return _json(self._create(parts[2], body, files, flags=body.get("flags") or 0))

    def _channel_edit(self, parts: list[str], _q: Any, body: Any, files: Any) -> web.Response:
        message = self.messages.get(parts[4])
        if message is None or message["channel_id"] != parts[2]:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        if message["author"]["id"] != self.bot_user["id"]:
            return _json({"message": "Cannot edit a message authored by another user",
                          "code": 50005}, 403)
        self._apply_edit(message, body, files)
        return _json(message)

    def _channel_get(self, parts: list[str], *_: Any) -> web.Response:
        message = self.messages.get(parts[4])
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        return _json(message)

    async def _cdn_file(self, request: web.Request) -> web.StreamResponse:
        found = self._cdn.get(request.match_info["path"])
        if found is None:
            self.unknown.append(f"GET /cdn/{request.match_info['path']}")
            return web.Response(status=404)
        return web.Response(body=found.data, content_type=found.content_type)

    # -- messages --------------------------------------------------------------------

    def snowflake(self) -> str:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((millis << 22) | (next(self._ids) & 0x3FFFFF))

    def _message(self, channel_id: str, content: str, *, author: Json) -> Json:
        return {
            "id": self.snowflake(), "channel_id": channel_id, "author": author,
            "content": content, "timestamp": _now_iso(), "edited_timestamp": None,
            "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "attachments": [], "embeds": [], "pinned": False, "type": 0, "flags": 0,
            "components": [],
        }

    def _create(self, channel_id: str, body: Json, files: Sequence[Upload], *, flags: int) -> Json:
        message = self._message(channel_id, body.get("content") or "", author=self.bot_user)
        message["flags"] = flags
        message["allowed_mentions"] = body.get("allowed_mentions")
        message["embeds"] = body.get("embeds") or []
        message["components"] = body.get("components") or []
        message["attachments"] = [self._stored_upload(u, channel_id) for u in files]
        if body.get("message_reference"):
            message["message_reference"] = {
                key: str(value) if key.endswith("_id") else value
                for key, value in body["message_reference"].items()
            }
            message["type"] = 19
        self.messages[message["id"]] = message
        return message

    def _apply_edit(self, message: Json, body: Json, files: Sequence[Upload]) -> None:
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in body:
                message[key] = body[key] if body[key] is not None else (
                    "" if key == "content" else [])
        if "attachments" in body:
            kept = {str(a.get("id")) for a in body["attachments"] or []}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in kept]
        message["attachments"] += [self._stored_upload(u, message["channel_id"]) for u in files]
        message["edited_timestamp"] = _now_iso()

    def _stored_upload(self, upload: Upload, channel_id: str) -> Json:
        # Like Discord, trust the file name more than discord.py's octet-stream part type.
        guessed = mimetypes.guess_type(upload.filename)[0]
        content_type = guessed or upload.content_type or "application/octet-stream"
        return self._attachment(LocalFile(upload.filename, upload.data, content_type), channel_id)

    def _attachment(self, file: LocalFile, channel_id: str) -> Json:
        attachment_id = self.snowflake()
        path = f"attachments/{channel_id}/{attachment_id}/{file.filename}"
        self._cdn[path] = file
        url = f"{self.url}/cdn/{path}"
        return {"id": attachment_id, "filename": file.filename, "size": len(file.data),
                "url": url, "proxy_url": url, "content_type": file.content_type}


_NAME_RE = re.compile(r"^[-_\w]{1,32}$")


def _command_problems(command: Json) -> list[str]:
    """What Discord would refuse in a slash command (names, lengths, counts, order)."""
    name = command.get("name", "")
    problems = []
    if not _NAME_RE.match(name) or name != name.lower():
        problems.append(f"/{name}: invalid name")
    if not 1 <= len(command.get("description", "")) <= 100:
        problems.append(f"/{name}: description must be 1-100 characters")
    options = command.get("options", [])
    if len(options) > 25:
        problems.append(f"/{name}: more than 25 options")
    seen_optional = False
    for option in options:
        label = f"/{name} {option.get('name')}"
        if not _NAME_RE.match(option.get("name", "")):
            problems.append(f"{label}: invalid option name")
        if not 1 <= len(option.get("description", "")) <= 100:
            problems.append(f"{label}: description must be 1-100 characters")
        if len(option.get("choices", [])) > 25:
            problems.append(f"{label}: more than 25 choices")
        if option.get("choices") and option.get("autocomplete"):
            problems.append(f"{label}: choices and autocomplete together")
        if option.get("required"):
            if seen_optional:
                problems.append(f"{label}: required option after an optional one")
        else:
            seen_optional = True
    return problems


def _user(user_id: str, name: str, *, bot: bool = False) -> Json:
    return {"id": user_id, "username": name, "discriminator": "0", "global_name": name,
            "avatar": None, "bot": bot, "public_flags": 0}


def _member(user: Json, permissions: str | None = None) -> Json:
    member: Json = {"user": user, "roles": [], "joined_at": _now_iso(), "deaf": False,
                    "mute": False, "flags": 0}
    if permissions is not None:
        member["permissions"] = permissions
    return member


def _option_type(value: Any) -> int:
    if isinstance(value, LocalFile):
        return 11
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(body=json.dumps(body).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


async def _read_body(request: web.Request) -> tuple[Any, tuple[Upload, ...]]:
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        payload: Any = None
        files: list[Upload] = []
        while (part := await reader.next()) is not None:
            assert isinstance(part, aiohttp.BodyPartReader)
            data = await part.read()
            if part.name == "payload_json":
                payload = json.loads(data)
            else:
                files.append(Upload(part.name or "", part.filename or "",
                                    part.headers.get("Content-Type", ""), bytes(data)))
        return payload, tuple(files)
    if request.can_read_body:
        text = await request.text()
        return (json.loads(text) if text else None), ()
    return None, ()
