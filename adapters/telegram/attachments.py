"""Files users send: photos, voice, audio, video, documents, and albums of them.

An :class:`~bot.core.models.Attachment` is only a promise: its reader calls ``getFile``
and downloads the bytes when a command needs them. Bots may download at most 20 MB
from Telegram; a bigger file fails before any request with the core's "too large"
message (which names the limit), and so does Telegram's own "file is too big".

Albums arrive as one update per item sharing a ``media_group_id`` and only one of them
carries the caption; :class:`AlbumCollector` waits until the items stop coming and
hands them over together (``/blend`` with four photos is one command, not four).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Final

from telegram import Bot, Message
from telegram.error import BadRequest, TelegramError

from bot.core.models import Attachment, AttachmentKind, AttachmentReader, AttachmentTooLargeError
from bot.media import MediaDownloadError, kind_of

log = logging.getLogger(__name__)

DOWNLOAD_LIMIT: Final = 20 * 1024 * 1024  # what getFile serves to bots


def attachments_of(message: Message, bot: Bot) -> list[Attachment]:
    """The files of one message, in a stable order (at most one per message today)."""
    found: list[Attachment] = []
    if message.photo:
        best = message.photo[-1]  # Telegram lists sizes smallest first
        found.append(_attachment(bot, best.file_id, "image", f"photo_{best.file_unique_id}.jpg",
                                 "image/jpeg", best.file_size))
    if message.voice is not None:
        voice = message.voice
        found.append(_attachment(bot, voice.file_id, "voice", f"voice_{voice.file_unique_id}.ogg",
                                 voice.mime_type or "audio/ogg", voice.file_size))
    if message.audio is not None:
        audio = message.audio
        mime = audio.mime_type or "audio/mpeg"
        name = audio.file_name or f"audio_{audio.file_unique_id}.mp3"
        found.append(_attachment(bot, audio.file_id, "audio", name, mime, audio.file_size))
    if message.video is not None:
        video = message.video
        name = video.file_name or f"video_{video.file_unique_id}.mp4"
        found.append(_attachment(bot, video.file_id, "video", name,
                                 video.mime_type or "video/mp4", video.file_size))
    if message.video_note is not None:
        note = message.video_note
        found.append(_attachment(bot, note.file_id, "video", f"note_{note.file_unique_id}.mp4",
                                 "video/mp4", note.file_size))
    if message.document is not None:
        document = message.document
        mime = document.mime_type or "application/octet-stream"
        name = document.file_name or f"file_{document.file_unique_id}"
        found.append(_attachment(bot, document.file_id, kind_of(mime), name, mime,
                                 document.file_size))
    return found


def _attachment(
    bot: Bot, file_id: str, kind: AttachmentKind, filename: str, content_type: str,
    size: int | None,
) -> Attachment:
    return Attachment(kind=kind, filename=filename, content_type=content_type, size=size,
                      reader=_reader(bot, file_id, filename, size))


def _reader(bot: Bot, file_id: str, filename: str, size: int | None) -> AttachmentReader:
    async def read(max_bytes: int) -> bytes:
        if size is not None and size > DOWNLOAD_LIMIT:
            raise AttachmentTooLargeError(filename, size, DOWNLOAD_LIMIT)
        try:
            file = await bot.get_file(file_id)
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                raise AttachmentTooLargeError(filename, size or DOWNLOAD_LIMIT + 1,
                                              DOWNLOAD_LIMIT) from None
            raise MediaDownloadError(exc.message) from exc
        except TelegramError as exc:
            raise MediaDownloadError(exc.message) from exc
        if len(data) > max_bytes:
            raise AttachmentTooLargeError(filename, len(data), max_bytes)
        return data

    return read


AlbumHandler = Callable[[Sequence[Message]], None]  # must not block: it starts the work


class AlbumCollector:
    """Gathers the messages of each media group until none arrived for ``quiet_s``.

    The wait runs on the event loop's clock, not the injected sleep: it measures the
    arrival of network updates, which a test's instant sleep would not let happen.
    """

    def __init__(self, handle: AlbumHandler, *, quiet_s: float) -> None:
        self._handle = handle
        self._quiet_s = quiet_s
        self._groups: dict[str, list[Message]] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}

    def add(self, message: Message) -> None:
        group = message.media_group_id
        assert group is not None
        self._groups.setdefault(group, []).append(message)
        timer = self._timers.pop(group, None)
        if timer is not None:
            timer.cancel()
        self._timers[group] = asyncio.create_task(self._flush_later(group))

    async def _flush_later(self, group: str) -> None:
        await asyncio.sleep(self._quiet_s)
        self._timers.pop(group, None)
        messages = self._groups.pop(group, [])
        if messages:
            self._handle(sorted(messages, key=lambda m: m.message_id))

    async def close(self) -> None:
        """Stop waiting and hand over the albums still being collected.

        Their updates are already confirmed to Telegram (the next getUpdates offset moved
        past them), so dropping them here would lose the user's command for good.
        """
        timers = list(self._timers.values())
        self._timers.clear()
        for timer in timers:
            timer.cancel()
        for timer in timers:
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        groups, self._groups = self._groups, {}
        for messages in groups.values():
            if messages:
                self._handle(sorted(messages, key=lambda m: m.message_id))
