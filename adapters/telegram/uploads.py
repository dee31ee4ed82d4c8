"""How an outgoing file is shown on Telegram: which send method fits it, the media-group item
it becomes, and the audio and video details (title, whole seconds, cover) sent with it.

Pure choices about one :class:`~bot.core.models.OutgoingFile`; the sending itself, paced and
retried, is :class:`~adapters.telegram.outbox.Outbox`'s.
"""

from __future__ import annotations

from typing import Final, Literal

from telegram import (
    InputFile,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
)

from bot.core.models import OutgoingFile

SendKind = Literal["photo", "document", "audio", "voice", "video"]
_PHOTO_LIMIT: Final = 10 * 1024 * 1024
Media = InputMediaPhoto | InputMediaVideo | InputMediaAudio | InputMediaDocument


def send_kind(file: OutgoingFile) -> SendKind:
    """How a file is best shown: photos up to 10 MB, voice only as OGG/Opus."""
    if file.kind == "image":
        small = len(file.data) <= _PHOTO_LIMIT and file.content_type != "image/gif"
        return "photo" if small else "document"
    if file.kind == "voice":
        return "voice" if file.content_type in ("audio/ogg", "audio/opus") else "audio"
    if file.kind in ("audio", "video"):
        return "audio" if file.kind == "audio" else "video"
    return "document"


def input_media(file: OutgoingFile, caption: str | None, mode: str | None) -> Media:
    data = InputFile(file.data, filename=file.filename, attach=True)
    kind = send_kind(file)
    if kind == "photo":
        return InputMediaPhoto(data, caption=caption, parse_mode=mode)
    if kind == "video":
        return InputMediaVideo(data, caption=caption, parse_mode=mode, supports_streaming=True,
                               duration=whole_seconds(file), thumbnail=thumbnail_file(file))
    if kind in ("audio", "voice"):
        return InputMediaAudio(data, caption=caption, parse_mode=mode, title=audio_title(file),
                               performer=file.performer or None, duration=whole_seconds(file),
                               thumbnail=thumbnail_file(file))
    return InputMediaDocument(data, caption=caption, parse_mode=mode)


def audio_title(file: OutgoingFile) -> str:
    if file.title.strip():
        return file.title.strip()
    stem = file.filename.rsplit(".", 1)[0]
    return stem.replace("_", " ").strip() or file.filename


def whole_seconds(file: OutgoingFile) -> int | None:
    """Telegram wants whole seconds; an unknown (or nonsensical) length is left out."""
    if file.duration_s is None or file.duration_s < 0:
        return None
    return round(file.duration_s)


def thumbnail_file(file: OutgoingFile) -> InputFile | None:
    # Thumbnails must be uploaded in the same request, never by URL or file id.
    if file.thumbnail is None:
        return None
    return InputFile(file.thumbnail, filename="cover.jpg", attach=True)
