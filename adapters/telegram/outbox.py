"""Every Bot API call that shows something to users, paced, retried and made robust.

* sends wait their turn per chat and edits per message (:class:`Pacer`); a 429 is waited
  out and the call repeated;
* texts and captions go out as HTML converted from the model's markdown; when Telegram
  still cannot parse it, the original text is sent without a parse mode;
* "message is not modified" is success, and so is deleting a message already gone; a
  photo Telegram refuses (too big, odd dimensions) is sent as a document, an audio whose
  thumbnail it refuses without it;
* audio carries its title, performer, duration and cover thumbnail when the file has them;
* anything else Telegram refuses becomes :class:`~bot.core.models.DeliveryError`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, EndPointNotFound, InvalidToken, TelegramError
from telegram.warnings import PTBUserWarning

from adapters.telegram.convert import message_ref, sent_text_ref
from adapters.telegram.html import markdown_to_html
from adapters.telegram.pacing import Pacer, with_flood_retry
from adapters.telegram.uploads import (
    SendKind,
    audio_title,
    input_media,
    send_kind,
    thumbnail_file,
    whole_seconds,
)
from bot.core.context import Sleep
from bot.core.models import ChatRef, DeliveryError, MessageRef, OutgoingFile

log = logging.getLogger(__name__)

# Texts are sent through ``Bot.do_api_request`` (see :meth:`Outbox.send_text`), which hints
# at ``Bot.send_message`` each time; only that hint, and only for this module's calls.
warnings.filterwarnings(
    "ignore",
    message=r"Please use 'Bot\.sendMessage' instead",
    category=PTBUserWarning,
    module=__name__,
)

T = TypeVar("T")
_NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)
# The same two objects as the Bot API's JSON, for texts sent through ``do_api_request``
# (which serialises what it is given): building and serialising PTB objects per message
# costs more than the message needs.
_NO_PREVIEW_JSON: Final = {"is_disabled": True}


@dataclass(frozen=True, slots=True)
class Target:
    """A chat, and the forum topic within it when there is one."""

    chat_id: int
    thread_id: int | None = None

    @classmethod
    def of(cls, chat: ChatRef) -> Target:
        return cls(int(chat.chat_id), int(chat.thread_id) if chat.thread_id else None)


def _is_parse_error(exc: TelegramError) -> bool:
    return "can't parse entities" in exc.message.lower()


def _is_not_modified(exc: TelegramError) -> bool:
    return "message is not modified" in exc.message.lower()


def _reply(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id, allow_sending_without_reply=True)


class Outbox:
    def __init__(self, bot: Bot, pacer: Pacer, *, sleep: Sleep) -> None:
        self.bot = bot
        self._pacer = pacer
        self._sleep = sleep

    @property
    def sleep(self) -> Sleep:
        """The injected sleep (real in production, jumped over in tests)."""
        return self._sleep

    # -- sending ---------------------------------------------------------------------

    async def send_text(
        self,
        target: Target,
        text: str,
        *,
        html: str | None = None,
        markup: InlineKeyboardMarkup | ForceReply | None = None,
        reply_to: int | None = None,
    ) -> MessageRef:
        """Send a text message; its reference back.

        The same request as ``Bot.send_message`` makes, through ``Bot.do_api_request``: the
        answer stays the Bot API's JSON, of which only the reference is read, instead of
        python-telegram-bot building a whole ``Message`` (with the message it replies to)
        from it, the largest part of a text send's CPU."""
        formatted = markdown_to_html(text) if html is None else html

        async def attempt(as_html: bool) -> MessageRef:
            await self._pacer.before_send(target.chat_id)
            answer = await self._send_message({
                "chat_id": target.chat_id,
                "text": formatted if as_html else text,
                "parse_mode": ParseMode.HTML if as_html else None,
                "reply_markup": markup,
                "message_thread_id": target.thread_id,
                "reply_parameters": None if reply_to is None else {
                    "message_id": reply_to, "allow_sending_without_reply": True},
                "link_preview_options": _NO_PREVIEW_JSON,
            })
            ref = sent_text_ref(answer) if isinstance(answer, dict) else None
            if ref is None:  # not what sendMessage answers: parse it as PTB would
                return message_ref(Message.de_json(answer, self.bot))
            return ref

        return await self._delivered(attempt, "sendMessage")

    async def _send_message(self, parameters: dict[str, Any]) -> Any:
        try:
            return await self.bot.do_api_request("sendMessage", parameters, return_type=None)
        except EndPointNotFound as exc:
            # ``send_message`` raises the 401/404 as it came; keep that error.
            if isinstance(exc.__cause__, InvalidToken):
                raise exc.__cause__ from None
            raise

    async def send_file(
        self,
        target: Target,
        file: OutgoingFile,
        *,
        caption: str = "",
        markup: InlineKeyboardMarkup | None = None,
        reply_to: int | None = None,
    ) -> Message:
        kind = send_kind(file)
        try:
            return await self._send_file(target, file, kind, caption, markup, reply_to)
        except DeliveryError as exc:
            if not isinstance(exc.__cause__, BadRequest):
                raise
            if kind == "photo":
                log.info("Telegram refused %s as a photo; sending it as a document",
                         file.filename)
                return await self._send_file(target, file, "document", caption, markup,
                                             reply_to)
            if file.thumbnail is None:
                raise
            log.info("Telegram refused %s with its thumbnail; sending it without", file.filename)
            bare = replace(file, thumbnail=None)
            return await self._send_file(target, bare, kind, caption, markup, reply_to)

    async def _send_file(
        self,
        target: Target,
        file: OutgoingFile,
        kind: SendKind,
        caption: str,
        markup: InlineKeyboardMarkup | None,
        reply_to: int | None,
    ) -> Message:
        formatted = markdown_to_html(caption) if caption else None
        data = InputFile(file.data, filename=file.filename)
        bot = self.bot

        async def attempt(as_html: bool) -> Message:
            await self._pacer.before_send(target.chat_id)
            text = (formatted if as_html else caption) or None
            mode = ParseMode.HTML if as_html and formatted else None
            chat, thread, reply = target.chat_id, target.thread_id, _reply(reply_to)
            if kind == "photo":
                return await bot.send_photo(
                    chat, data, caption=text, parse_mode=mode, reply_markup=markup,
                    message_thread_id=thread, reply_parameters=reply,
                )
            if kind == "audio":
                return await bot.send_audio(
                    chat, data, title=audio_title(file), performer=file.performer or None,
                    duration=whole_seconds(file), thumbnail=thumbnail_file(file), caption=text,
                    parse_mode=mode, reply_markup=markup, message_thread_id=thread,
                    reply_parameters=reply,
                )
            if kind == "voice":
                return await bot.send_voice(
                    chat, data, duration=whole_seconds(file), caption=text, parse_mode=mode,
                    reply_markup=markup, message_thread_id=thread, reply_parameters=reply,
                )
            if kind == "video":
                return await bot.send_video(
                    chat, data, duration=whole_seconds(file), thumbnail=thumbnail_file(file),
                    supports_streaming=True, caption=text, parse_mode=mode,
                    reply_markup=markup, message_thread_id=thread, reply_parameters=reply,
                )
            return await bot.send_document(
                chat, data, caption=text, parse_mode=mode, reply_markup=markup,
                message_thread_id=thread, reply_parameters=reply,
            )

        return await self._delivered(attempt, f"send {kind}")

    async def send_album(
        self,
        target: Target,
        files: Sequence[OutgoingFile],
        *,
        caption: str = "",
        reply_to: int | None = None,
    ) -> tuple[Message, ...]:
        """2–10 photos/videos, audios or documents as one media group."""
        formatted = markdown_to_html(caption) if caption else None

        async def attempt(as_html: bool) -> tuple[Message, ...]:
            await self._pacer.before_send(target.chat_id)
            text = (formatted if as_html else caption) or None
            mode = ParseMode.HTML if as_html and formatted else None
            media = [
                input_media(file, text if index == 0 else None, mode)
                for index, file in enumerate(files)
            ]
            return await self.bot.send_media_group(
                target.chat_id,
                media,
                message_thread_id=target.thread_id,
                reply_parameters=_reply(reply_to),
            )

        return await self._delivered(attempt, "sendMediaGroup")

    # -- editing ---------------------------------------------------------------------

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        formatted = markdown_to_html(text)

        async def attempt(as_html: bool) -> object:
            await self._pacer.before_edit(chat_id, message_id)
            return await self.bot.edit_message_text(
                formatted if as_html else text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML if as_html else None,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
            )

        await self._edited(attempt, "editMessageText")

    async def edit_caption(
        self, chat_id: int, message_id: int, caption: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        formatted = markdown_to_html(caption)

        async def attempt(as_html: bool) -> object:
            await self._pacer.before_edit(chat_id, message_id)
            return await self.bot.edit_message_caption(
                chat_id=chat_id,
                message_id=message_id,
                caption=formatted if as_html else caption,
                parse_mode=ParseMode.HTML if as_html else None,
                reply_markup=markup,
            )

        await self._edited(attempt, "editMessageCaption")

    async def edit_media(
        self,
        chat_id: int,
        message_id: int,
        file: OutgoingFile,
        caption: str,
        markup: InlineKeyboardMarkup | None,
    ) -> None:
        formatted = markdown_to_html(caption) if caption else None

        async def attempt(as_html: bool) -> object:
            await self._pacer.before_edit(chat_id, message_id)
            text = (formatted if as_html else caption) or None
            media = input_media(file, text, ParseMode.HTML if as_html and formatted else None)
            return await self.bot.edit_message_media(
                media, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )

        await self._edited(attempt, "editMessageMedia")

    async def edit_markup(
        self, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None
    ) -> None:
        async def attempt(as_html: bool) -> object:
            await self._pacer.before_edit(chat_id, message_id)
            return await self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=markup
            )

        await self._edited(attempt, "editMessageReplyMarkup")

    async def delete(self, chat_id: int, message_id: int) -> bool:
        """Remove a message the bot sent; False (logged) when Telegram would not.

        Best effort: callers delete a message they have already replaced, so a refusal
        leaves a stale message behind but must not undo the replacement. A message that
        is already gone is what was wanted."""

        async def attempt() -> bool:
            await self._pacer.before_edit(chat_id, message_id)
            return await self.bot.delete_message(chat_id, message_id)

        try:
            await with_flood_retry(attempt, sleep=self._sleep, what="deleteMessage")
        except TelegramError as exc:
            if "message to delete not found" in exc.message.lower():
                return True
            log.warning("could not delete message %s in %s: %s", message_id, chat_id,
                        exc.message)
            return False
        return True

    # -- unpaced ---------------------------------------------------------------------

    async def chat_action(self, target: Target, action: ChatAction) -> None:
        """Best effort: a refused or throttled chat action is not worth waiting for."""
        try:
            await self.bot.send_chat_action(
                target.chat_id, action, message_thread_id=target.thread_id
            )
        except TelegramError as exc:
            log.debug("chat action %s not shown: %s", action, exc)

    async def answer_callback(self, query_id: str, text: str = "", *, alert: bool = False) -> None:
        try:
            await with_flood_retry(
                lambda: self.bot.answer_callback_query(
                    query_id, text=text[:200] or None, show_alert=alert or None
                ),
                sleep=self._sleep,
                what="answerCallbackQuery",
            )
        except TelegramError as exc:
            log.info("callback query %s not answered: %s", query_id, exc)

    # -- internals -------------------------------------------------------------------

    async def _delivered(self, attempt: Callable[[bool], Awaitable[T]], what: str) -> T:
        try:
            return await self._html_or_plain(attempt, what)
        except TelegramError as exc:
            raise DeliveryError(f"Telegram refused {what}: {exc.message}") from exc

    async def _edited(self, attempt: Callable[[bool], Awaitable[object]], what: str) -> None:
        try:
            await self._html_or_plain(attempt, what)
        except BadRequest as exc:
            if not _is_not_modified(exc):
                raise DeliveryError(f"Telegram refused {what}: {exc.message}") from exc
        except TelegramError as exc:
            raise DeliveryError(f"Telegram refused {what}: {exc.message}") from exc

    async def _html_or_plain(self, attempt: Callable[[bool], Awaitable[T]], what: str) -> T:
        try:
            return await with_flood_retry(lambda: attempt(True), sleep=self._sleep, what=what)
        except BadRequest as exc:
            if not _is_parse_error(exc):
                raise
            log.warning("Telegram could not parse our HTML (%s); sending plain text", exc.message)
        return await with_flood_retry(lambda: attempt(False), sleep=self._sleep, what=what)
