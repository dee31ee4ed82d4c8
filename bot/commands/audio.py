"""/transcribe and /translate: speech to text with Whisper.

Before anything is uploaded the attachment is checked: it must be audio (a voice
message, an audio file, or a video whose sound track Whisper reads) and no bigger than
both the relay's 25 MB limit and what the bot may download from the platform
(``bot.max_download_mb``). The bytes are then sniffed, so an image renamed ``.mp3``
is refused here rather than paid for. Whisper picks the decoder by file extension, so
a name it would not recognise (Telegram's ``.oga``) gets the sniffed type's extension.
"""

from __future__ import annotations

import os
from typing import Final

from bot.core.context import CommandContext
from bot.core.credits import charged_audio_seconds
from bot.core.dispatcher import CommandSpec
from bot.core.errors import AttachmentKinds, UserError
from bot.core.gate import Price
from bot.core.models import Attachment, AttachmentKind
from bot.core.options import OptionSpec
from bot.media import check_kind, extension_for, guess_content_type
from bot.relay import Transcript

RELAY_AUDIO_LIMIT: Final = 25 * 1024 * 1024
AUDIO_KINDS: Final[tuple[AttachmentKind, ...]] = ("voice", "audio", "video")
WHISPER_EXTENSIONS: Final = frozenset(
    {".flac", ".mp3", ".mp4", ".mpeg", ".mpga", ".m4a", ".ogg", ".wav", ".webm"}
)
_SOUND_KINDS: Final[tuple[AttachmentKind, ...]] = ("audio", "video")


def audio_limit(ctx: CommandContext) -> int:
    """The most we accept: the relay's limit or the platform download limit, if lower."""
    return min(RELAY_AUDIO_LIMIT, int(ctx.services.config.bot.max_download_mb * 1024 * 1024))


async def read_audio(ctx: CommandContext, attachment: Attachment) -> tuple[bytes, str, str]:
    """The checked bytes, a file name Whisper understands, and the content type."""
    data = await attachment.read(audio_limit(ctx))
    if not data:
        raise UserError("audio.empty", filename=attachment.filename)
    content_type = guess_content_type(data, attachment.filename, attachment.content_type)
    check_kind(content_type, _SOUND_KINDS)
    stem, extension = os.path.splitext(attachment.filename or "audio")
    if extension.lower() not in WHISPER_EXTENSIONS:
        extension = extension_for(content_type)
    return data, f"{stem or 'audio'}{extension}", content_type


async def transcribe(ctx: CommandContext, attachment: Attachment, *, translate: bool) -> Transcript:
    """Send ``attachment`` to Whisper (translated to English when ``translate``)."""
    services = ctx.services
    data, filename, content_type = await read_audio(ctx, attachment)
    model = services.config.models.transcription
    audio = services.relay.audio
    async with ctx.responder.typing():
        if translate:
            result = await audio.translate(data, filename=filename, content_type=content_type,
                                           model=model)
        else:
            result = await audio.transcribe(data, filename=filename, content_type=content_type,
                                            model=model)
    seconds = charged_audio_seconds(result.duration, len(data))
    ctx.bill.add_units("transcription_minute", seconds / 60)
    await services.store.record_usage(
        ctx.chat.platform, ctx.user.id, ctx.chat.chat_id,
        kind="translation" if translate else "transcription", model=model,
    )
    return result


async def _answer(ctx: CommandContext, *, translate: bool) -> None:
    attachment = ctx.attachment("audio")
    if attachment is None:  # the option is required; the dispatcher already said so
        raise UserError("input.attachment_missing", option="audio", what=_what())
    result = await transcribe(ctx, attachment, translate=translate)
    text = result.text.strip()
    if not text:
        await ctx.reply(ctx.t("audio.no_speech"))
        return
    key = "translate.result" if translate else "transcribe.result"
    await ctx.reply(ctx.t(key, text=text))


def _what() -> AttachmentKinds:
    return AttachmentKinds.of(AUDIO_KINDS)


async def transcribe_command(ctx: CommandContext) -> None:
    await _answer(ctx, translate=False)


async def translate_command(ctx: CommandContext) -> None:
    await _answer(ctx, translate=True)


def _audio_option() -> OptionSpec:
    return OptionSpec("audio", type="attachment", required=True, kinds=AUDIO_KINDS,
                      max_bytes=RELAY_AUDIO_LIMIT)


AUDIO_PRICE: Final = Price("transcription_minute", per="answer")

COMMANDS: Final = (
    CommandSpec("transcribe", transcribe_command, options=(_audio_option(),),
                capability="audio", price=AUDIO_PRICE),
    CommandSpec("translate", translate_command, options=(_audio_option(),),
                capability="audio", price=AUDIO_PRICE),
)
