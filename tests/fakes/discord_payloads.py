"""Wire shapes of the fake Discord: users, members, option types, JSON responses and
request bodies (JSON or multipart with ``payload_json`` and ``files[n]``).

discord.py decodes a body as JSON only when Content-Type is exactly
``application/json``, so responses set that header themselves.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import aiohttp
from aiohttp import web

from tests.fakes.discord_records import Json, LocalFile, Upload

TOKEN: Final = "fake-discord-token"
DISCORD_EPOCH_MS: Final = 1_420_070_400_000
MESSAGE_CONTENT_INTENT: Final = 1 << 15
EPHEMERAL: Final = 1 << 6
LOADING: Final = 1 << 7
PERMISSIONS: Final = "2248473465835073"
TEXT_CHANNEL: Final = 0
PUBLIC_THREAD: Final = 11
PRIVATE_THREAD: Final = 12
THREAD_CREATED_MESSAGE: Final = 18


def user(user_id: str, name: str, *, bot: bool = False) -> Json:
    return {"id": user_id, "username": name, "discriminator": "0", "global_name": name,
            "avatar": None, "bot": bot, "public_flags": 0}


ARTIST_ROLE_ID = "424242424242"
"""A role the fake guild has besides @everyone, for tests of role-based access."""


def member(of: Json, permissions: str | None = None, roles: Sequence[str] = ()) -> Json:
    payload: Json = {"user": of, "roles": list(roles), "joined_at": now_iso(), "deaf": False,
                     "mute": False, "flags": 0}
    if permissions is not None:
        payload["permissions"] = permissions
    return payload


def option_type(value: Any) -> int:
    if isinstance(value, LocalFile):
        return 11
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def text_channel(channel_id: str, guild_id: str) -> Json:
    return {
        "id": channel_id, "type": TEXT_CHANNEL, "name": f"general-{channel_id[-1]}",
        "guild_id": guild_id, "position": int(channel_id[-1]),
        "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
        "rate_limit_per_user": 0, "last_message_id": None,
    }


def thread_channel(
    thread_id: str, name: str, *, parent_id: str, guild_id: str, owner_id: str,
    kind: int = PUBLIC_THREAD,
) -> Json:
    return {
        "id": thread_id, "type": kind, "name": name, "guild_id": guild_id,
        "parent_id": parent_id, "owner_id": owner_id, "message_count": 0,
        "member_count": 2, "rate_limit_per_user": 0, "flags": 0,
        "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                            "archive_timestamp": now_iso(), "locked": False},
    }


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(body=json.dumps(body).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


def error(message: str, code: int, status: int) -> web.Response:
    return json_response({"message": message, "code": code}, status)


def unknown_message() -> web.Response:
    return error("Unknown Message", 10008, 404)


async def read_body(request: web.Request) -> tuple[Any, tuple[Upload, ...]]:
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
