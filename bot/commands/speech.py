"""/tts: text to speech.

Where the platform has voice messages (``PlatformLimits.voice_messages``, e.g. Telegram)
the speech is requested as OGG/Opus and sent as a voice bubble; elsewhere as an mp3
audio file. The voice defaults to the user's setting (/settings).
"""

from __future__ import annotations

from typing import Final

from bot.commands.settings import VOICES, load_user_settings
from bot.core.context import CommandContext
from bot.core.dispatcher import CommandSpec
from bot.core.gate import Price
from bot.core.models import AttachmentKind, OutgoingFile
from bot.core.options import OptionSpec
from bot.media import MediaTooLargeError, check_kind, extension_for, guess_content_type

MAX_TTS_CHARS: Final = 4096  # the relay's limit for one speech request
_OGG: Final = "audio/ogg"
_AUDIO: Final[tuple[AttachmentKind, ...]] = ("audio",)


async def tts_command(ctx: CommandContext) -> None:
    services = ctx.services
    text = ctx.text("text") or ""
    voice = ctx.text("voice") or load_user_settings(ctx).voice
    speed = ctx.number("speed")
    limits = ctx.responder.limits
    response_format = "opus" if limits.voice_messages else "mp3"
    model = services.config.models.tts
    async with ctx.responder.typing():
        speech = await services.relay.audio.speech(
            text, model=model, voice=voice, response_format=response_format, speed=speed
        )
    await services.store.record_usage(
        ctx.chat.platform, ctx.user.id, ctx.chat.chat_id, kind="speech", model=model,
        units=len(text),
    )
    content_type = guess_content_type(speech.audio, "", speech.content_type)
    check_kind(content_type, _AUDIO)
    if len(speech.audio) > limits.max_upload_bytes:
        raise MediaTooLargeError(len(speech.audio), limits.max_upload_bytes)
    # A voice bubble must be OGG/Opus; a relay that ignored the format gets an audio file.
    kind: AttachmentKind = "voice" if limits.voice_messages and content_type == _OGG else "audio"
    filename = "speech" + extension_for(content_type)
    file = OutgoingFile(speech.audio, filename, kind, content_type)
    caption = ctx.t("tts.caption", voice=voice)
    await ctx.reply(caption, files=(file,))


COMMANDS: Final = (
    CommandSpec(
        "tts",
        tts_command,
        options=(
            OptionSpec("text", required=True, max_length=MAX_TTS_CHARS),
            OptionSpec("voice", choices=VOICES),
            OptionSpec("speed", type="float", minimum=0.25, maximum=4.0),
        ),
        main=("text",),
        answer="speech",
        capability="audio",
        price=Price("tts_1k_chars", per="1k_chars", option="text"),
    ),
)
