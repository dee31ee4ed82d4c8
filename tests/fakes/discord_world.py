"""The fake Discord's state: one guild with two text channels and a thread, its users,
messages (with attachments on a fake CDN), threads opened by the bot, and events pushed
to connected gateways.

Messages are kept in memory as Discord returns them: an embed image given as
``attachment://name`` is rewritten to that attachment's CDN URL, and a bot message is
checked against Discord's limits before it is stored (:mod:`tests.fakes.discord_checks`).
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from tests.fakes.discord_checks import ATTACHMENT_SCHEME, check_message, check_thread_name
from tests.fakes.discord_payloads import (
    ARTIST_ROLE_ID,
    DISCORD_EPOCH_MS,
    PERMISSIONS,
    PUBLIC_THREAD,
    THREAD_CREATED_MESSAGE,
    member,
    now_iso,
    text_channel,
    thread_channel,
    user,
)
from tests.fakes.discord_records import InteractionState, Json, LocalFile, Recorder, Upload


class FakeWorld(Recorder):
    def __init__(
        self,
        *,
        heartbeat_ms: int = 250,
        attachment_size_limit: int = 10 * 1024 * 1024,
        application_id: str = "900000000000000001",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock)
        self.heartbeat_ms = heartbeat_ms
        self.attachment_size_limit = attachment_size_limit
        self.application_id = application_id
        self.bot_user: Json = user("900000000000000001", "relaybot", bot=True)
        self.guild_id = "910000000000000001"
        self.channel_id = "920000000000000001"
        self.other_channel_id = "920000000000000002"
        self.thread_id = "930000000000000001"
        self.user: Json = user("940000000000000001", "alice")
        self.other_user: Json = user("940000000000000002", "bob")
        self.messages: dict[str, Json] = {}
        self.threads: dict[str, Json] = {}  # opened by the bot, by id
        self.interactions: dict[str, InteractionState] = {}  # by token
        self.commands: dict[str, list[Json]] = {}  # "global" or guild id → last PUT
        self.identify: list[Json] = []
        self.heartbeats = 0
        self._cdn: dict[str, LocalFile] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._shards: dict[web.WebSocketResponse, tuple[int, int]] = {}  # identified sockets
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self.url = ""

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/gateway"

    def snowflake(self) -> str:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((millis << 22) | (next(self._ids) & 0x3FFFFF))

    def channel_messages(self, channel_id: str) -> list[Json]:
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]

    async def dispatch(self, event: str, data: Json) -> None:
        frame = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        for ws in self._receivers(data):
            await ws.send_str(json.dumps(frame))

    def _receivers(self, data: Json) -> list[web.WebSocketResponse]:
        """The sockets an event goes to (the gateway part routes it by shard)."""
        return list(self._sockets)

    # -- guild and channels ------------------------------------------------------------

    def guild(self) -> Json:
        everyone = {"id": self.guild_id, "name": "@everyone", "permissions": PERMISSIONS,
                    "position": 0, "color": 0, "hoist": False, "managed": False,
                    "mentionable": False, "flags": 0}
        return {
            "id": self.guild_id, "name": "Fake guild", "icon": None, "owner_id": self.user["id"],
            "roles": [everyone, {**everyone, "id": ARTIST_ROLE_ID, "name": "artists",
                                 "position": 1}],
            "emojis": [], "stickers": [], "features": [],
            "channels": [self.channel(self.channel_id), self.channel(self.other_channel_id)],
            "threads": [self.channel(self.thread_id), *self.threads.values()],
            "members": [member(self.bot_user)], "member_count": 3, "large": False,
            "unavailable": False, "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [], "premium_tier": 0,
            "preferred_locale": "en-US", "mfa_level": 0, "verification_level": 0,
            "explicit_content_filter": 0, "default_message_notifications": 0, "nsfw_level": 0,
            "system_channel_flags": 0, "afk_timeout": 300, "joined_at": now_iso(),
        }

    def channel(self, channel_id: str) -> Json:
        if channel_id in self.threads:
            return self.threads[channel_id]
        if channel_id == self.thread_id:
            return thread_channel(channel_id, "a thread", parent_id=self.channel_id,
                                  guild_id=self.guild_id, owner_id=self.user["id"])
        return text_channel(channel_id, self.guild_id)

    def is_text_channel(self, channel_id: str) -> bool:
        return channel_id in (self.channel_id, self.other_channel_id)

    async def open_thread(
        self, parent_id: str, body: Json, *, starter: Json | None = None
    ) -> Json:
        """A thread the bot opens (on ``starter`` when given; then it has its id)."""
        check_thread_name(body.get("name"))
        kind = PUBLIC_THREAD if starter is not None else int(body.get("type") or 12)
        thread_id = starter["id"] if starter is not None else self.snowflake()
        thread = thread_channel(thread_id, body["name"], parent_id=parent_id,
                                guild_id=self.guild_id, owner_id=self.bot_user["id"], kind=kind)
        self.threads[thread_id] = thread
        if starter is not None:
            starter["thread"] = thread
        else:  # Discord notes a thread opened without a message in its channel
            notice = self.new_message(parent_id, body["name"], author=self.bot_user)
            notice["type"] = THREAD_CREATED_MESSAGE
            notice["message_reference"] = {"channel_id": thread_id, "guild_id": self.guild_id}
            self.messages[notice["id"]] = notice
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return thread

    # -- messages ----------------------------------------------------------------------

    def new_message(self, channel_id: str, content: str, *, author: Json) -> Json:
        return {
            "id": self.snowflake(), "channel_id": channel_id, "author": author,
            "content": content, "timestamp": now_iso(), "edited_timestamp": None,
            "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "attachments": [], "embeds": [], "pinned": False, "type": 0, "flags": 0,
            "components": [],
        }

    def create(self, channel_id: str, body: Json, files: Sequence[Upload], *, flags: int) -> Json:
        """A bot message, as Discord stores it (refused like Discord when over limits)."""
        check_message(body, [u.filename for u in files], creating=True)
        message = self.new_message(channel_id, body.get("content") or "", author=self.bot_user)
        message["flags"] = flags
        message["allowed_mentions"] = body.get("allowed_mentions")
        message["components"] = body.get("components") or []
        message["attachments"] = [self._stored_upload(u, channel_id) for u in files]
        message["embeds"] = _resolved_embeds(body.get("embeds") or [], message["attachments"])
        if body.get("message_reference"):
            message["message_reference"] = {
                key: str(value) if key.endswith("_id") else value
                for key, value in body["message_reference"].items()
            }
            message["type"] = 19
        self.messages[message["id"]] = message
        return message

    def apply_edit(self, message: Json, body: Json, files: Sequence[Upload]) -> None:
        attachments = message["attachments"]
        if "attachments" in body:
            kept = {str(a.get("id")) for a in body["attachments"] or []}
            attachments = [a for a in attachments if a["id"] in kept]
        names = [a["filename"] for a in attachments] + [u.filename for u in files]
        check_message(body, names, creating=False)
        for key in ("content", "components", "allowed_mentions"):
            if key in body:
                message[key] = body[key] if body[key] is not None else (
                    "" if key == "content" else [])
        attachments = attachments + [self._stored_upload(u, message["channel_id"]) for u in files]
        message["attachments"] = attachments
        if "embeds" in body:
            message["embeds"] = _resolved_embeds(body["embeds"] or [], attachments)
        message["edited_timestamp"] = now_iso()

    def _stored_upload(self, upload: Upload, channel_id: str) -> Json:
        # Like Discord, trust the file name more than discord.py's octet-stream part type.
        guessed = mimetypes.guess_type(upload.filename)[0]
        content_type = guessed or upload.content_type or "application/octet-stream"
        return self.attachment(LocalFile(upload.filename, upload.data, content_type), channel_id)

    def attachment(self, file: LocalFile, channel_id: str) -> Json:
        attachment_id = self.snowflake()
        path = f"attachments/{channel_id}/{attachment_id}/{file.filename}"
        self._cdn[path] = file
        url = f"{self.url}/cdn/{path}"
        return {"id": attachment_id, "filename": file.filename, "size": len(file.data),
                "url": url, "proxy_url": url, "content_type": file.content_type}

    def cdn_file(self, path: str) -> LocalFile | None:
        return self._cdn.get(path)


def _resolved_embeds(embeds: Sequence[Json], attachments: Sequence[Json]) -> list[Json]:
    """Embeds as Discord returns them: ``attachment://name`` becomes the file's URL."""
    by_name = {a["filename"]: a for a in attachments}
    resolved = []
    for embed in embeds:
        embed = {**embed, "type": "rich"}
        for part in ("image", "thumbnail"):
            url: Any = (embed.get(part) or {}).get("url")
            if isinstance(url, str) and url.startswith(ATTACHMENT_SCHEME):
                found = by_name[url.removeprefix(ATTACHMENT_SCHEME)]
                embed[part] = {"url": found["url"], "proxy_url": found["proxy_url"],
                               "content_type": found["content_type"]}
        resolved.append(embed)
    return resolved
