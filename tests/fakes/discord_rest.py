"""The fake Discord's REST API (``/api/v10``) and CDN.

Messages are created by interaction callbacks, follow-ups and channel posts and edited
by the matching PATCH routes, so a click can carry the message with its components, as
Discord does. Threads are opened with ``POST /channels/{id}/threads`` or on a message
(``POST /channels/{id}/messages/{mid}/threads``), announced with THREAD_CREATE.
Unknown routes answer 404 and bodies Discord would refuse answer 400; both are listed in
:attr:`unknown` for the fixture to fail the test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from tests.fakes.discord_checks import Refused, command_problems
from tests.fakes.discord_payloads import (
    EPHEMERAL,
    LOADING,
    TOKEN,
    error,
    json_response,
    read_body,
    unknown_message,
)
from tests.fakes.discord_records import Call, Upload, pattern
from tests.fakes.discord_world import FakeWorld

Handler = Callable[[list[str], Mapping[str, str], Any, tuple[Upload, ...]], Any]


class RestPart(FakeWorld):
    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body, files = await read_body(request)
        failure = self.take_failure(request.method, path)
        if failure is not None:
            await self.record(Call(request.method, path, dict(request.query), body, files,
                                   failure.status, self.clock()))
            return json_response(failure.body, failure.status, failure.headers)
        handler = self._route(request.method, path)
        needs_token = not path.startswith(("/webhooks/", "/interactions/"))
        response: web.StreamResponse
        if needs_token and request.headers.get("Authorization") != f"Bot {TOKEN}":
            response = error("401: Unauthorized", 0, 401)
        elif handler is None:
            self.unknown.append(f"{request.method} {path}")
            response = error("404: Not Found", 0, 404)
        else:
            try:
                result = handler(path.split("/"), request.query, body, files)
                response = await result if not isinstance(result, web.StreamResponse) else result
            except Refused as refused:
                self.unknown += [f"{request.method} {path}: {p}" for p in refused.problems]
                response = json_response({"message": str(refused), "code": refused.code,
                                          "errors": refused.problems}, 400)
        await self.record(Call(request.method, path, dict(request.query), body, files,
                               response.status, self.clock()))
        return response

    def _route(self, method: str, path: str) -> Handler | None:
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", lambda *_: json_response(self.bot_user)),
            ("GET", "/oauth2/applications/@me", lambda *_: json_response(self._app_info())),
            ("GET", "/gateway", lambda *_: json_response({"url": self.gateway_url})),
            ("GET", "/gateway/bot", lambda *_: json_response(self._gateway_bot())),
            ("GET", "/applications/*/commands", self._get_commands),
            ("GET", "/applications/*/guilds/*/commands", self._get_commands),
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
            ("POST", "/channels/*/threads", self._thread_post),
            ("POST", "/channels/*/messages/*/threads", self._thread_on_message),
        ]
        for route_method, template, handler in routes:
            if route_method == method and pattern(template).match(path):
                return handler
        return None

    def _app_info(self) -> dict[str, Any]:
        return {
            "id": self.application_id, "name": "relaybot", "description": "", "icon": None,
            "bot_public": True, "bot_require_code_grant": False, "owner": self.user,
            "verify_key": "0" * 64, "flags": 0, "team": None,
        }

    def _gateway_bot(self) -> dict[str, Any]:
        return {"url": self.gateway_url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}

    def _get_commands(self, parts: list[str], *_: Any) -> web.Response:
        scope = parts[4] if len(parts) > 5 else "global"
        return json_response(self.commands.get(scope, []))

    def _put_commands(self, parts: list[str], _q: Any, body: Any, _f: Any) -> web.Response:
        problems = [p for command in body for p in command_problems(command)]
        if problems:
            raise Refused(problems)
        scope = parts[4] if len(parts) > 5 else "global"
        registered = [{**c, "id": self.snowflake(), "application_id": self.application_id,
                       "version": self.snowflake(), "default_member_permissions": None,
                       "type": c.get("type", 1)} for c in body]
        if scope != "global":
            for command in registered:
                command["guild_id"] = scope
        self.commands[scope] = registered
        return json_response(registered)

    # -- interactions and their webhooks ----------------------------------------------

    def _callback(self, parts: list[str], _q: Any, body: Any, files: Any) -> web.Response:
        state = self.interactions.get(parts[3])
        if state is None or state.id != parts[2]:
            return error("Unknown interaction", 10062, 404)
        if state.response_type is not None:
            return error("Interaction has already been acknowledged.", 40060, 400)
        kind = body["type"]
        data = body.get("data") or {}
        message: dict[str, Any] | None = None
        if kind == 4:
            message = self.create(state.channel_id, data, files, flags=data.get("flags") or 0)
        elif kind == 5:  # "thinking…": an empty message, filled in later
            message = self.new_message(state.channel_id, "", author=self.bot_user)
            message["flags"] = (data.get("flags") or 0) | LOADING
            self.messages[message["id"]] = message
        elif kind in (6, 7) and state.message_id is not None:
            message = self.messages[state.message_id]
            if kind == 7:
                self.apply_edit(message, data, files)
        elif kind == 8:
            state.response_type = kind
            state.choices = data.get("choices", [])
            return web.Response(status=204)
        elif kind == 9:
            state.modal = data
        state.response_type = kind
        if kind in (4, 5):
            assert message is not None
            message["interaction_token"] = state.token
            state.original_id = message["id"]
        elif kind in (6, 7):
            state.original_id = state.message_id
        answer: dict[str, Any] = {"interaction": {
            "id": state.id, "type": state.type, "response_message_id": state.original_id,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool((message or {}).get("flags", 0) & EPHEMERAL)}}
        answer["resource"] = {"type": kind, **({"message": message} if message else {})}
        return json_response(answer)

    def _target(self, parts: list[str]) -> str | None:
        """The message a webhook route names (``@original`` or an id) for its token."""
        state = self.interactions.get(parts[3])
        if state is None:
            return None
        return state.original_id if parts[5] == "@original" else parts[5]

    def _webhook_get(self, parts: list[str], *_: Any) -> web.Response:
        message_id = self._target(parts)
        if message_id is None or message_id not in self.messages:
            return unknown_message()
        return json_response(self.messages[message_id])

    def _webhook_edit(self, parts: list[str], _q: Any, body: Any, files: Any) -> web.Response:
        message_id = self._target(parts)
        if message_id is None or message_id not in self.messages:
            return unknown_message()
        message = self.messages[message_id]
        self.apply_edit(message, body, files)
        message["flags"] = message.get("flags", 0) & ~LOADING
        return json_response(message)

    def _webhook_delete(self, parts: list[str], *_: Any) -> web.Response:
        message_id = self._target(parts)
        if message_id is None or self.messages.pop(message_id, None) is None:
            return unknown_message()
        return web.Response(status=204)

    def _followup(self, parts: list[str], _q: Any, body: Any, files: Any) -> web.Response:
        state = self.interactions.get(parts[3])
        if state is None or state.response_type is None:
            return error("Unknown Webhook", 10015, 404)
        original = self.messages.get(state.original_id or "")
        if original is not None and original.get("flags", 0) & LOADING:
            # Discord: the first follow-up after a "thinking" defer replaces that message.
            self.apply_edit(original, body, files)
            original["flags"] = original["flags"] & ~LOADING
            return json_response(original)
        message = self.create(state.channel_id, body, files, flags=body.get("flags") or 0)
        message["webhook_id"] = self.application_id
        return json_response(message)

    # -- channels and threads ----------------------------------------------------------

    def _channel_post(self, parts: list[str], _q: Any, body: Any, files: Any) -> web.Response:
        return json_response(self.create(parts[2], body, files, flags=body.get("flags") or 0))

    def _channel_edit(self, parts: list[str], _q: Any, body: Any, files: Any) -> web.Response:
        message = self.messages.get(parts[4])
        if message is None or message["channel_id"] != parts[2]:
            return unknown_message()
        if message["author"]["id"] != self.bot_user["id"]:
            return error("Cannot edit a message authored by another user", 50005, 403)
        self.apply_edit(message, body, files)
        return json_response(message)

    def _channel_get(self, parts: list[str], *_: Any) -> web.Response:
        message = self.messages.get(parts[4])
        if message is None:
            return unknown_message()
        return json_response(message)

    async def _thread_post(self, parts: list[str], _q: Any, body: Any, _f: Any) -> web.Response:
        if not self.is_text_channel(parts[2]):
            return error("Cannot execute action on this channel type", 50024, 400)
        return json_response(await self.open_thread(parts[2], body), 201)

    async def _thread_on_message(
        self, parts: list[str], _q: Any, body: Any, _f: Any
    ) -> web.Response:
        starter = self.messages.get(parts[4])
        if starter is None or starter["channel_id"] != parts[2]:
            return unknown_message()
        if not self.is_text_channel(parts[2]):
            return error("Cannot execute action on this channel type", 50024, 400)
        if "thread" in starter:
            return error("A thread has already been created for this message", 160004, 400)
        return json_response(await self.open_thread(parts[2], body, starter=starter), 201)

    async def _cdn_file(self, request: web.Request) -> web.StreamResponse:
        found = self.cdn_file(request.match_info["path"])
        if found is None:
            self.unknown.append(f"GET /cdn/{request.match_info['path']}")
            return web.Response(status=404)
        return web.Response(body=found.data, content_type=found.content_type)
