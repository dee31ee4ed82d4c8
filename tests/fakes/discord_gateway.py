"""The fake Discord's gateway websocket, and the user actions it pushes to the bot.

The gateway sends HELLO, ACKs heartbeats, answers IDENTIFY with READY and one
GUILD_CREATE (a guild with two text channels and a thread), and then pushes whatever a
test scripts: slash commands with typed options and resolved attachments, autocomplete,
component clicks, modal submits and plain messages. Text frames, no compression (JSON
text frames are what discord.py decodes when it gets no bytes).

Sharding as Discord does it: an IDENTIFY may carry ``"shard": [shard_id, shard_count]``
(none means ``[0, 1]``, the whole bot); a socket then gets the guild only if
``(guild_id >> 22) % shard_count == shard_id``, and events of a guild go only to the
sockets of the shard that owns it, events outside any guild (DMs) to shard 0. A shard
outside ``0..shard_count-1`` is refused with close code 4010 (Invalid shard).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.discord_payloads import (
    MESSAGE_CONTENT_INTENT,
    PERMISSIONS,
    member,
    option_type,
)
from tests.fakes.discord_records import InteractionState, Json, LocalFile
from tests.fakes.discord_world import FakeWorld


class GatewayPart(FakeWorld):
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
                    shard_id, shard_count = frame["d"].get("shard") or (0, 1)
                    if not 0 <= shard_id < shard_count:
                        await ws.close(code=4010, message=b"Invalid shard")
                        break
                    self._shards[ws] = (shard_id, shard_count)
                    await self._ready(ws, shard_id, shard_count)
                    await self.notify()
        finally:
            self._sockets.remove(ws)
            self._shards.pop(ws, None)
        return ws

    def guild_shard(self, shard_count: int) -> int:
        """The shard that receives the guild's events when the bot runs ``shard_count``."""
        return (int(self.guild_id) >> 22) % shard_count

    async def _ready(self, ws: web.WebSocketResponse, shard_id: int, shard_count: int) -> None:
        ours = self.guild_shard(shard_count) == shard_id
        ready = {
            "v": 10, "user": self.bot_user, "session_id": f"session-{next(self._ids)}",
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": self.guild_id, "unavailable": True}] if ours else [],
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [], "relationships": [], "shard": [shard_id, shard_count],
        }
        await ws.send_json({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
        if ours:
            await ws.send_json({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq),
                                "d": self.guild()})

    def _receivers(self, data: Json) -> list[web.WebSocketResponse]:
        """The identified sockets whose shard gets an event with ``data``."""
        guild_id = data.get("guild_id")
        receivers = []
        for ws, (shard_id, shard_count) in list(self._shards.items()):
            owner = (int(guild_id) >> 22) % shard_count if guild_id else 0
            if owner == shard_id:
                receivers.append(ws)
        return receivers

    # -- what users do -----------------------------------------------------------------

    async def slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: Json | None = None,
        channel_id: str | None = None,
        focused: str | None = None,
        locale: str = "en-US",
        roles: Sequence[str] = (),
    ) -> InteractionState:
        """A user runs ``/name`` (type 2), or types in option ``focused`` (autocomplete, 4).

        Values: str/int/float/bool, or :class:`LocalFile` for attachment options;
        ``locale`` is the user's Discord client language; ``roles`` the member's role ids.
        A value that is a mapping is a subcommand with its own options (``/admin grant``)."""
        resolved: dict[str, Json] = {}
        wire_options = []
        for key, value in (options or {}).items():
            if isinstance(value, Mapping):  # a subcommand and its own options
                wire_options.append({"name": key, "type": 1, "options": [
                    {"name": k, "type": option_type(v), "value": v} for k, v in value.items()
                ]})
                continue
            option: Json = {"name": key, "type": option_type(value), "value": value}
            if isinstance(value, LocalFile):
                attachment = self.attachment(value, channel_id or self.channel_id)
                resolved[attachment["id"]] = attachment
                option["value"] = attachment["id"]
            if key == focused:
                option["focused"] = True
            wire_options.append(option)
        data: Json = {"id": self.snowflake(), "name": name, "type": 1, "options": wire_options}
        if resolved:
            data["resolved"] = {"attachments": resolved}
        return await self._interact(4 if focused else 2, data, user=user, channel_id=channel_id,
                                    locale=locale, roles=roles)

    async def click(
        self, message_id: str, custom_id: str, *, user: Json | None = None,
        locale: str = "en-US", roles: Sequence[str] = (),
    ) -> InteractionState:
        message = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(
            3, data, user=user, channel_id=message["channel_id"], message=message, locale=locale,
            roles=roles,
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
        """A user writes in a channel or thread (MESSAGE_CREATE)."""
        channel = channel_id or self.channel_id
        author = user or self.user
        if mention_bot:
            content = f"<@{self.bot_user['id']}> {content}"
        mentions = [self.bot_user] if mention_bot else []
        message = self.new_message(channel, content, author=author)
        message["attachments"] = [self.attachment(f, channel) for f in files]
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
                                               "member": member(author)})
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
        locale: str = "en-US",
        roles: Sequence[str] = (),
    ) -> InteractionState:
        channel = channel_id or self.channel_id
        state = InteractionState(self.snowflake(), f"itoken-{next(self._ids)}", kind, channel,
                                 message_id=message["id"] if message else None)
        self.interactions[state.token] = state
        payload: Json = {
            "id": state.id, "application_id": self.application_id, "type": kind, "data": data,
            "guild_id": self.guild_id, "channel_id": channel, "channel": self.channel(channel),
            "member": member(user or self.user, permissions=PERMISSIONS, roles=roles),
            "token": state.token, "version": 1, "app_permissions": PERMISSIONS,
            "locale": locale, "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id}, "context": 0,
            "attachment_size_limit": self.attachment_size_limit,
        }
        if message is not None:
            payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return state
