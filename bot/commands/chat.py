"""/chat and plain-text chat: streamed answers with per-conversation memory.

The conversation (per platform, chat and thread) keeps the model, the persona and the
messages in the store; each request sends the persona, as much recent history as fits
``bot.history_chars`` (oldest dropped first) and the new message. An image makes it a
vision request: content parts with a data URI for vision models, or the image's URL
inline in the text for ``gpt-4-all`` (which reads links, not parts). Image links in the
answer (gpt-4-all drawing, GPTs) are downloaded and sent as files.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Final

from bot.commands.conversation import (
    effective_chat_model,
    resolve_chat_model,
)
from bot.core.context import CommandContext
from bot.core.credits import charged_tokens
from bot.core.delivery import fetch_images
from bot.core.dispatcher import CommandSpec, MessageRoute
from bot.core.errors import UserError
from bot.core.gate import Price
from bot.core.models import Attachment, Invocation
from bot.core.options import OptionSpec
from bot.core.prefetch import prefetched_conversation
from bot.core.streaming import streaming_reply
from bot.media import data_uri, sniff_content_type
from bot.relay import ChatMessage, DeltaStream, ImagePart, TextPart, extract_images
from bot.store.base import Conversation, JsonValue, Message, NewMessage, NewUsage

INLINE_URL_MODELS: Final = frozenset({"gpt-4-all"})
# Models known to take image parts; anything else is swapped for models.vision.
_VISION_PREFIXES: Final = ("gpt-4o", "gpt-4-turbo", "gpt-4-vision", "gpt-4.1", "claude-3",
                           "gemini-1.5", "gemini-pro-vision", "o1", "o3", "o4")
_PREVIEW_MAX_TOKENS: Final = 4096  # gpt-4-vision-preview's default output is tiny
_IMAGE_CHARS: Final = 1000  # what a sent image costs in the history budget
_VISION_FORMATS: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_HISTORY_RETRY_S: Final = 0.25
log = logging.getLogger(__name__)


async def chat_command(ctx: CommandContext) -> None:
    prompt = ctx.text("prompt") or ""
    requested = ctx.text("model")
    model = resolve_chat_model(ctx, requested) if requested is not None else None
    await converse(ctx, prompt, ctx.attachment("image"), model)


async def chat_message(ctx: CommandContext) -> None:
    """A plain message addressed to the bot: text, optionally with an image."""
    invocation = ctx.invocation
    image = next((a for a in invocation.attachments if a.kind == "image"), None)
    prompt = invocation.text.strip() or ctx.t("chat.default_image_prompt")
    limit = ctx.services.config.bot.max_prompt_chars
    if len(prompt) > limit:
        raise UserError("input.too_long", option="message", length=len(prompt), limit=limit)
    await converse(ctx, prompt, image, None)


def accepts_chat(invocation: Invocation) -> bool:
    has_image = any(a.kind == "image" for a in invocation.attachments)
    return bool(invocation.text.strip()) or has_image


async def converse(
    ctx: CommandContext, prompt: str, image: Attachment | None, model: str | None
) -> None:
    """Answer ``prompt`` in this conversation, streamed, and remember both sides."""
    services = ctx.services
    chat = ctx.chat
    budget = services.config.bot.history_chars
    # Read with the event when the adapter saw a chat turn coming (bot.core.prefetch):
    # then the relay request is the next thing this turn waits for.
    found = prefetched_conversation(ctx.reads, chat, budget)
    conversation, history = found if found is not None else (
        await services.store.active_conversation_and_history(
            chat.platform, chat.chat_id, chat.thread_id, budget
        )
    )
    model = model or await effective_chat_model(ctx, conversation)
    user_message, model = await _user_message(ctx, prompt, image, model)
    messages = _request_messages(conversation, history, user_message)
    max_tokens = _PREVIEW_MAX_TOKENS if model == "gpt-4-vision-preview" else None
    streamer = streaming_reply(ctx)
    async with ctx.responder.typing():
        stream = services.relay.chat.stream(
            model, messages, max_tokens=max_tokens, user=_user_tag(ctx)
        )
        async with stream:
            usage = _Usage()
            result = await streamer.run(usage.texts(stream))
    ctx.bill.add_units("chat_1k_tokens", usage.tokens(messages, result.text))
    # Images the answer links to are part of the answer: they are fetched and sent while the
    # turn is written, not after (the history is written before the user could follow up).
    images = _start_sending_images(ctx, result.text)
    try:
        extra: JsonValue = {"image": image.filename} if image is not None else None
        chars = len(prompt) + (_IMAGE_CHARS if image is not None else 0)
        turn = [NewMessage("user", prompt, extra=extra, chars=chars)]
        if result.text.strip():
            turn.append(NewMessage("assistant", result.text))
        entry = NewUsage(ctx.chat.platform, ctx.user.id, ctx.chat.chat_id, kind="chat",
                         model=model)
        if not await _remember(ctx, conversation.id, turn, entry):
            # The answer is shown and stays: only the memory of this turn is missing.
            await ctx.reply(ctx.t("chat.not_remembered"))
        if images is not None:
            await images
    finally:
        if images is not None and not images.done():
            images.cancel()


async def _remember(
    ctx: CommandContext, conversation_id: int, turn: list[NewMessage], entry: NewUsage
) -> bool:
    """The turn's messages and usage entry after a shown answer, in one trip; what failed
    is tried once more, so a locked or briefly full database does not turn the answer into
    "something went wrong". False when a message is still missing (a usage entry that
    fails twice is logged, never shown: the answer was delivered)."""
    missing: NewUsage | None = entry
    for attempt in (1, 2):
        try:
            written = await ctx.services.store.record_chat_turn(conversation_id, turn, missing)
        except Exception:
            log.warning("store write after an answer failed (attempt %d of 2)", attempt,
                        exc_info=True)
        else:
            turn = turn[written.messages:]
            missing = None if written.usage else missing
            for failure in written.failures:
                log.warning("store write after an answer failed (attempt %d of 2)", attempt,
                            exc_info=failure)
        if not turn and missing is None:
            return True
        if attempt == 1:
            await ctx.services.sleep(_HISTORY_RETRY_S)
    return not turn


async def _user_message(
    ctx: CommandContext, prompt: str, image: Attachment | None, model: str
) -> tuple[ChatMessage, str]:
    """The new user message, and the model that can read it."""
    if image is None:
        return ChatMessage(role="user", content=prompt), model
    if model in INLINE_URL_MODELS and image.url:
        return ChatMessage(role="user", content=f"{image.url}\n{prompt}"), model
    if not _takes_image_parts(model):
        model = ctx.services.config.models.vision
    cap = int(ctx.services.config.bot.max_download_mb * 1024 * 1024)
    data = await image.read(cap)
    content_type = sniff_content_type(data)
    if content_type not in _VISION_FORMATS:  # what vision APIs accept; the sniff must agree
        raise UserError("chat.image_format")
    parts = (TextPart(prompt), ImagePart(data_uri(data, str(content_type))))
    return ChatMessage(role="user", content=parts), model


def _takes_image_parts(model: str) -> bool:
    return model.startswith(_VISION_PREFIXES) or "vision" in model


def _request_messages(
    conversation: Conversation, history: Sequence[Message], user_message: ChatMessage
) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    if conversation.persona:
        messages.append(ChatMessage(role="system", content=conversation.persona))
    # Trimming may keep an answer whose question was dropped; a conversation opening with
    # the assistant is refused by several models (Claude, Gemini), so start at a question.
    while history and history[0].role != "user":
        history = history[1:]
    for stored in history:
        if stored.role == "user":
            messages.append(ChatMessage(role="user", content=stored.content))
        elif stored.role == "assistant":
            messages.append(ChatMessage(role="assistant", content=stored.content))
    messages.append(user_message)
    return messages


class _Usage:
    """The tokens the relay says an answer used (the last ``usage`` of the stream)."""

    def __init__(self) -> None:
        self.reported: int | None = None

    async def texts(self, stream: DeltaStream) -> AsyncIterator[str]:
        async for delta in stream:
            if delta.usage is not None and delta.usage.total_tokens:
                self.reported = delta.usage.total_tokens
            if delta.text:
                yield delta.text

    def tokens(self, messages: Sequence[ChatMessage], answer: str) -> int:
        sent = [m.content if isinstance(m.content, str) else "" for m in messages]
        return charged_tokens(self.reported, *sent, answer)


def _start_sending_images(ctx: CommandContext, answer: str) -> asyncio.Task[None] | None:
    urls = extract_images(answer).image_urls
    return asyncio.ensure_future(_send_images(ctx, urls)) if urls else None


async def _send_images(ctx: CommandContext, urls: Sequence[str]) -> None:
    fetched = await fetch_images(ctx.services, urls, ctx.responder.limits)
    if fetched.files:
        await ctx.reply(files=fetched.files)
    if fetched.failed_urls:
        await ctx.reply(ctx.t("chat.images_failed", links="\n".join(fetched.failed_urls)))


def _user_tag(ctx: CommandContext) -> str:
    return f"{ctx.chat.platform}:{ctx.user.id}"


CHAT_PRICE: Final = Price("chat_1k_tokens", per="answer")

COMMANDS: Final = (
    CommandSpec(
        "chat",
        chat_command,
        options=(
            OptionSpec("prompt", required=True),
            OptionSpec("model", max_length=100, suggest_from="chat_models"),
            OptionSpec("image", type="attachment", kinds=("image",)),
        ),
        main=("prompt",),
        conversation=True,
        capability="chat",
        price=CHAT_PRICE,
    ),
)

MESSAGES: Final = (
    MessageRoute("chat", accepts_chat, chat_message, capability="chat", price=CHAT_PRICE),
)
