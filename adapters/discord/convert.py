"""Conversions between discord.py objects and the core's neutral values.

Everything here is synchronous and free of I/O except the attachment reader, which
streams from the CDN and stops at the caller's cap.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import aiohttp
import discord

from bot.core.models import (
    Attachment,
    AttachmentTooLargeError,
    ChatRef,
    MessageRef,
    OutgoingFile,
    PlatformLimits,
    UserRef,
)
from bot.core.render import format_size
from bot.core.texts import t
from bot.media import (
    MediaDownloadError,
    MediaTooLargeError,
    guess_content_type,
    kind_of,
    read_capped,
)

PLATFORM: Final = "discord"
MAX_TEXT: Final = 2000
MAX_CAPTION: Final = 4096  # text shown with images goes into an embed's description
MAX_BUTTONS_PER_ROW: Final = 5
MAX_ROWS: Final = 5
DEFAULT_UPLOAD_LIMIT: Final = 10 * 1024 * 1024  # without an interaction to ask
_CDN_TIMEOUT: Final = aiohttp.ClientTimeout(total=120)


def no_mentions() -> discord.AllowedMentions:
    """Nobody is pinged: a prompt echoed back can never reach @everyone or a role."""
    return discord.AllowedMentions.none()


def discord_limits(upload_limit: int = DEFAULT_UPLOAD_LIMIT) -> PlatformLimits:
    return PlatformLimits(
        max_text=MAX_TEXT,
        max_caption=MAX_CAPTION,
        max_buttons_per_row=MAX_BUTTONS_PER_ROW,
        max_rows=MAX_ROWS,
        max_upload_bytes=upload_limit,
        edit_interval_s=1.0,
        replies_lead_to_original=True,
    )


def jump_url(guild: str, ref: MessageRef) -> str:
    """The link that opens message ``ref`` (in a channel or a thread); ``guild`` is the
    guild id, or ``@me`` for a direct message (see :func:`link_guild`)."""
    return f"https://discord.com/channels/{guild}/{ref.chat_id}/{ref.message_id}"


def link_guild(client: discord.Client, channel_id: str) -> str | None:
    """The guild part of a jump URL into a channel the client has cached: its guild's id,
    ``@me`` for a direct message; None when the channel is not known here."""
    try:
        channel = client.get_channel(int(channel_id))
    except ValueError:
        return None
    if channel is None:
        return None
    guild = getattr(channel, "guild", None)
    return str(guild.id) if guild is not None else "@me"


def chat_of(channel: object) -> ChatRef:
    """The conversation scope of a channel: a thread is its own conversation in its parent."""
    guild = getattr(channel, "guild", None)
    guild_id = str(guild.id) if guild is not None else ""
    if isinstance(channel, discord.Thread):
        return ChatRef(PLATFORM, str(channel.parent_id), str(channel.id), is_private=False,
                       community_id=guild_id)
    private = isinstance(channel, discord.DMChannel | discord.GroupChannel)
    channel_id = getattr(channel, "id", None)
    return ChatRef(PLATFORM, str(channel_id), "", is_private=private, community_id=guild_id)


def roles_of(user: object) -> tuple[str, ...]:
    """A guild member's role ids (none for a user outside a guild)."""
    roles = getattr(user, "roles", None) or ()
    return tuple(str(role.id) for role in roles if getattr(role, "id", None) is not None)


def channel_id_of(chat: ChatRef) -> int:
    """Where messages for ``chat`` are posted (the thread when there is one)."""
    return int(chat.thread_id or chat.chat_id)


def user_of(user: discord.abc.User, locale: object = None) -> UserRef:
    value = getattr(locale, "value", locale)
    return UserRef(str(user.id), user.display_name, value if isinstance(value, str) else None)


_MENTION_RE: Final = r"<@!?{id}>"


def strip_mention(content: str, bot_id: int) -> str:
    """The message text without the bot's mention(s)."""
    return re.sub(_MENTION_RE.format(id=bot_id), " ", content).strip()


def attachment_of(attachment: discord.Attachment, session: aiohttp.ClientSession) -> Attachment:
    """A core attachment whose bytes are streamed from the CDN on demand, capped."""
    declared = attachment.content_type.split(";")[0].strip() if attachment.content_type else None
    content_type = guess_content_type(b"", attachment.filename, declared)
    url = attachment.url

    async def reader(max_bytes: int) -> bytes:
        try:
            async with session.get(url, timeout=_CDN_TIMEOUT) as response:
                if response.status >= 400:
                    raise MediaDownloadError(f"HTTP {response.status}")
                return await read_capped(response.content, max_bytes)
        except MediaTooLargeError as exc:
            raise AttachmentTooLargeError(attachment.filename, exc.size, max_bytes) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise MediaDownloadError(type(exc).__name__) from exc

    return Attachment(
        kind=kind_of(content_type),
        filename=attachment.filename,
        content_type=content_type,
        size=attachment.size,
        reader=reader,
        url=url,
    )


@dataclass(frozen=True, slots=True)
class Upload:
    files: tuple[discord.File, ...]
    note: str  # what could not be attached, for the message text


def uploads_for(files: Sequence[OutgoingFile], limit: int, locale: str) -> Upload:
    """The files Discord accepts here, and a note naming those over ``limit``."""
    kept: list[discord.File] = []
    notes: list[str] = []
    for file in files:
        if len(file.data) > limit:
            notes.append(
                t(
                    "discord.file_too_large",
                    locale,
                    filename=file.filename,
                    size=format_size(len(file.data)),
                    limit=format_size(limit),
                )
            )
            continue
        kept.append(discord.File(io.BytesIO(file.data), filename=file.filename))
    return Upload(tuple(kept), "\n".join(notes))


# A markdown link whose target is not a web address: ``[you](tg://user?id=1)``,
# ``[x](javascript:...)``. Discord links only http(s), but a model's link text could
# still pass for a link; ``label (target)`` shows both as text and is never longer.
_NON_WEB_LINK: Final = re.compile(r"\[([^\]\n]+)\]\(\s*<?((?!https?://)[a-z][a-z0-9+.-]*:[^\s)>]*)>?\)",
                                  re.IGNORECASE)


def plain_links(text: str) -> str:
    """``text`` with links to anything but http(s) turned into plain text."""
    return _NON_WEB_LINK.sub(lambda m: f"{m[1]} ({m[2]})", text)


def with_note(text: str, note: str, limit: int = MAX_TEXT) -> str:
    """``text`` with ``note`` appended, the note winning when space runs out."""
    if not note:
        return text
    joined = f"{text}\n\n{note}" if text else note
    if len(joined) <= limit:
        return joined
    room = max(0, limit - len(note) - 3)
    return f"{text[:room]}…\n\n{note}"[:limit]
