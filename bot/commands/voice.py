"""Voice chat: a voice message or audio file sent without a command in a private chat
is transcribed, the transcript shown, and then answered like a typed message.

``bot.voice_autochat`` (default on) is the operator's switch; each user may turn it off
in /settings. When it is off, a caption or image with the audio is still chatted about,
and bare audio gets a hint instead of silence. This route must come before text chat in
``FEATURES`` so an audio file with a caption is not taken for plain text.
"""

from __future__ import annotations

from typing import Final

from bot.commands.audio import AUDIO_PRICE, transcribe
from bot.commands.chat import accepts_chat, chat_message, converse
from bot.commands.settings import load_user_settings
from bot.core.access import AccessPolicy
from bot.core.context import CommandContext
from bot.core.dispatcher import MessageRoute
from bot.core.errors import CatalogueWord, UserError
from bot.core.models import Attachment, AttachmentKind, Invocation

VOICE_KINDS: Final[tuple[AttachmentKind, ...]] = ("voice", "audio")


def _voice_attachment(invocation: Invocation) -> Attachment | None:
    return next((a for a in invocation.attachments if a.kind in VOICE_KINDS), None)


def accepts_voice(invocation: Invocation) -> bool:
    return invocation.chat.is_private and _voice_attachment(invocation) is not None


async def _check_may_chat(ctx: CommandContext) -> None:
    """The gate let this message in as ``audio``; what it leads to is a chat answer, so
    ``[access.only] chat`` applies as well (before anything is sent to the relay)."""
    services = ctx.services
    refusal = await AccessPolicy(services.config.access, services.store).check(
        ctx.user, ctx.chat, ctx.invocation.roles, "chat"
    )
    if refusal is not None:
        raise UserError(refusal.key, capability=CatalogueWord("capability.chat"))


async def voice_message(ctx: CommandContext) -> None:
    attachment = _voice_attachment(ctx.invocation)
    assert attachment is not None  # accepts_voice checked it
    enabled = ctx.services.config.bot.voice_autochat
    if not enabled or not load_user_settings(ctx).voice_chat:
        if accepts_chat(ctx.invocation):
            await _check_may_chat(ctx)
            await chat_message(ctx)
            return
        await ctx.reply(ctx.t("voice.off_user" if enabled else "voice.off_config"))
        return
    await _check_may_chat(ctx)
    transcript = (await transcribe(ctx, attachment, translate=False)).text.strip()
    if not transcript:
        await ctx.reply(ctx.t("audio.no_speech"))
        return
    caption = ctx.invocation.text.strip()
    prompt = f"{caption}\n\n{transcript}" if caption else transcript
    limit = ctx.services.config.bot.max_prompt_chars
    await ctx.reply(ctx.t("voice.heard", text=transcript), reply_to=ctx.invocation.message)
    if len(prompt) > limit:
        raise UserError("input.too_long", option="message", length=len(prompt), limit=limit)
    image = next((a for a in ctx.invocation.attachments if a.kind == "image"), None)
    await converse(ctx, prompt, image, None)


# Charged after the answer: the minutes heard, and the chat answer's tokens.
MESSAGES: Final = (
    MessageRoute("voice", accepts_voice, voice_message, capability="audio", price=AUDIO_PRICE),
)
