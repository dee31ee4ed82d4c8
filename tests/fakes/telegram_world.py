"""What the fake Telegram knows: chats, messages, files and the bot's own messages.

Shared by the bot-side methods (:mod:`tests.fakes.telegram_methods`) and the user-side
injection helpers (:mod:`tests.fakes.telegram_users`). Objects are kept as Bot API JSON
dicts where Telegram would return them, plus :class:`BotMessage` records that let tests
see what a user would see (the visible text after parsing, buttons, files, edits).
"""

from __future__ import annotations

import itertools
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
DOWNLOAD_LIMIT = 20 * 1024 * 1024
THUMBNAIL_BYTES = 200 * 1000  # "less than 200 kB"
THUMBNAIL_SIDE = 320
THUMBNAIL_METHODS = ("audio", "video", "document", "animation", "video_note")


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    part: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(slots=True)
class StoredFile:
    file_id: str
    unique_id: str
    data: bytes = field(repr=False)
    size: int
    path: str
    mime: str
    name: str


@dataclass(slots=True)
class BotMessage:
    """A message the bot sent, as the user sees it now."""

    chat_id: int
    message_id: int
    kind: str  # "text", "photo", "audio", "voice", "video", "document"
    text: str  # visible text or caption after parsing
    raw: str  # as sent
    parse_mode: str | None
    buttons: list[list[tuple[str, str]]]  # (label, callback_data)
    thread_id: int | None = None
    reply_to: int | None = None
    force_reply: JSON | None = None
    file: UploadedFile | None = None
    extra: JSON = field(default_factory=dict)  # title, performer, duration, thumbnail...
    media_group_id: str | None = None
    history: list[str] = field(default_factory=list)  # every text it showed, oldest first
    deleted: bool = False

    @property
    def edits(self) -> int:
        return len(self.history) - 1

    @property
    def labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]

    def data_for(self, label: str) -> str:
        for row in self.buttons:
            for text, data in row:
                if text == label:
                    return data
        raise KeyError(f"no button {label!r} on message {self.message_id}: {self.labels}")


class FakeWorld:
    def __init__(self, *, bot_id: int, bot_username: str) -> None:
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Relay Test Bot",
            "username": bot_username,
        }
        self.chats: dict[int, JSON] = {}
        self.messages: dict[tuple[int, int], JSON] = {}
        self.bot_messages: dict[tuple[int, int], BotMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_ids = itertools.count(1)
        self._group_ids = itertools.count(1)
        self.commands: dict[str, list[JSON]] = {}
        self.webhook: JSON = {"url": ""}
        self.callback_queries: dict[str, bool] = {}  # id -> answered
        # Calls Telegram would answer without complaint but a correct bot never makes
        # (a thumbnail it silently drops...); a fixture asserts this stays empty.
        self.protocol_errors: list[str] = []

    # -- chats and messages ----------------------------------------------------------

    def chat(self, chat_id: int) -> JSON:
        if chat_id not in self.chats:
            raise bad_request("chat not found")
        return self.chats[chat_id]

    def add_chat(self, chat: JSON) -> JSON:
        self.chats[chat["id"]] = chat
        return chat

    def new_message(self, chat_id: int, sender: JSON, **fields: Any) -> JSON:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        message: JSON = {
            "message_id": next(counter),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": sender,
        }
        message.update({k: v for k, v in fields.items() if v is not None})
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def message(self, chat_id: int, message_id: int) -> JSON:
        found = self.messages.get((chat_id, message_id))
        if found is None:
            raise bad_request("message to edit not found")
        return found

    def new_media_group_id(self) -> str:
        return f"album{next(self._group_ids)}"

    # -- files -----------------------------------------------------------------------

    def add_file(
        self, data: bytes, *, mime: str, name: str, declared_size: int | None = None
    ) -> StoredFile:
        number = next(self._file_ids)
        stored = StoredFile(
            file_id=f"file-{number}",
            unique_id=f"uniq-{number}",
            data=data,
            size=declared_size if declared_size is not None else len(data),
            path=f"files/{number}/{name}",
            mime=mime,
            name=name,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.path] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return self._files_by_path.get(path)

    def get_file(self, file_id: str) -> JSON:
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }


def file_json(stored: StoredFile, **extra: Any) -> JSON:
    """The common fields of Document/Audio/Voice/Video/PhotoSize."""
    result: JSON = {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "file_size": stored.size,
    }
    result.update({k: v for k, v in extra.items() if v is not None})
    return result


def resolve_file(value: object, field: str, files: Mapping[str, UploadedFile]) -> UploadedFile:
    """The upload a parameter names: ``attach://part``, or the part named like the field."""
    if isinstance(value, str) and value.startswith("attach://"):
        name = value.removeprefix("attach://")
        if name in files:
            return files[name]
        raise bad_request(f"file {name} not found in the request")
    if value is None and field in files:
        return files[field]
    raise bad_request(f"the fake wants uploaded bytes for {field}, got {value!r}")


def upload_extra(p: JSON, files: Mapping[str, UploadedFile]) -> JSON:
    """title, performer, duration... as sent; ``thumbnail``: the upload, when one came."""
    extra: JSON = {}
    for key in ("title", "performer", "duration", "width", "height", "supports_streaming"):
        if p.get(key) is not None:
            extra[key] = p[key]
    thumb = p.get("thumbnail")
    if isinstance(thumb, str) and thumb.removeprefix("attach://") in files:
        extra["thumbnail"] = files[thumb.removeprefix("attach://")]
    return extra


def thumbnail_of(kind: str, p: JSON, files: Mapping[str, UploadedFile]
                 ) -> tuple[UploadedFile | None, str | None]:
    """(the thumbnail Telegram would keep, why it would drop the one sent).

    Telegram keeps a thumbnail only when it is uploaded with the call (``attach://``), a
    JPEG, under 200 kB and at most 320x320 pixels; otherwise it sends the media without
    one and says nothing — which is why the fake reports it as a protocol error."""
    thumb = p.get("thumbnail")
    if thumb is None:
        return None, None
    if kind not in THUMBNAIL_METHODS:
        return None, f"{kind} takes no thumbnail"
    name = thumb.removeprefix("attach://") if isinstance(thumb, str) else ""
    if not isinstance(thumb, str) or not thumb.startswith("attach://") or name not in files:
        return None, f"{kind} thumbnail {thumb!r} was not uploaded with the call"
    upload = files[name]
    if not upload.data.startswith(b"\xff\xd8\xff"):
        return None, f"{kind} thumbnail is not a JPEG"
    if len(upload.data) >= THUMBNAIL_BYTES:
        return None, f"{kind} thumbnail has {len(upload.data)} bytes, not under 200 kB"
    size = jpeg_size(upload.data)
    if size is None or max(size) > THUMBNAIL_SIDE or min(size) < 1:
        return None, f"{kind} thumbnail of {size} pixels is not within 320x320"
    return upload, None


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's start-of-frame segment."""
    pos = 2
    while pos + 9 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        if marker == 0xDA:
            return None
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return None
