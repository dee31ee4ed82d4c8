"""How the core's replies look in Telegram.

A :class:`TelegramResponder` answers in one chat (and topic): text as HTML split at
4,096 characters, files as photos/audio/voice/video/documents (several at once as
albums), captions up to 1,024 characters (a longer text follows the files as its own
message, with the buttons), inline keyboards, edits (a text message that is to show a
photo is replaced by a photo message: Telegram cannot change a message's kind),
"typing…"-style chat actions, and questions asked with ForceReply. :class:`PressResponder`
wraps one for a button press and answers its callback query exactly once — as a toast
when the core's answer is a short private notice (``Reply.ephemeral``: a refused or
expired button, an error). A toast cannot carry a link, so a press's responder has none
(:meth:`PressResponder.link_to`); the core replies to the message it points at instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Final

from telegram import ForceReply, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction

from adapters.telegram.convert import (
    decode_message_ref,
    keyboard,
    message_link,
    message_ref,
    replied_id,
)
from adapters.telegram.html import escape, utf16_length, visible_length
from adapters.telegram.outbox import Outbox, Target
from adapters.telegram.uploads import send_kind
from bot.core.models import (
    ChatRef,
    DeliveryError,
    MessageRef,
    OutgoingFile,
    PlatformLimits,
    Question,
    Reply,
    UserRef,
)
from bot.core.render import split_text
from bot.core.texts import t

log = logging.getLogger(__name__)

ACTION_REPEAT_S: Final = 4.5  # Telegram shows a chat action for about 5 s
# Telegram advises chat actions only for waits a user notices; this one is not.
ACTION_DELAY_S: Final = 0.1
_ALBUM_MAX: Final = 10
_TOAST_MAX: Final = 200
_FAMILIES: Final = {"photo": "visual", "video": "visual", "audio": "audio",
                    "document": "document"}
_UPLOADING: Final = {"photo": ChatAction.UPLOAD_PHOTO, "video": ChatAction.UPLOAD_VIDEO,
                     "audio": ChatAction.UPLOAD_VOICE, "voice": ChatAction.UPLOAD_VOICE,
                     "document": ChatAction.UPLOAD_DOCUMENT}


def telegram_limits(edit_interval_s: float = 1.0) -> PlatformLimits:
    return PlatformLimits(
        max_text=4096,
        max_caption=1024,
        max_buttons_per_row=8,
        max_rows=10,
        max_upload_bytes=50 * 1024 * 1024,
        edit_interval_s=max(1.0, edit_interval_s),
        voice_messages=True,
        replies_lead_to_original=True,
        # Telegram counts UTF-16 units; counting the raw markdown is on the safe side.
        text_length=utf16_length,
    )


class TelegramResponder:
    def __init__(
        self,
        outbox: Outbox,
        chat: ChatRef,
        *,
        limits: PlatformLimits,
        locale: str,
        user: UserRef | None = None,
        origin: MessageRef | None = None,
        action: ChatAction = ChatAction.TYPING,
        public_name: str | None = None,
    ) -> None:
        self._outbox = outbox
        self._chat = chat
        self._target = Target.of(chat)
        self._limits = limits
        self._locale = locale
        self._user = user
        self._origin = origin
        self._action = action
        self._public_name = public_name  # the chat's @name when it is a public group

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    # -- sending ---------------------------------------------------------------------

    async def send(self, reply: Reply) -> MessageRef:
        markup = keyboard(reply.buttons)
        reply_to = self._reply_id(reply.reply_to)
        if not reply.files:
            return await self._send_text(reply.text, markup, reply_to)
        return await self._send_files(reply, markup, reply_to)

    async def _send_text(
        self, text: str, markup: InlineKeyboardMarkup | None, reply_to: int | None
    ) -> MessageRef:
        pieces = _fit(text, self._limits.max_text)
        if not pieces:
            if markup is None:
                raise DeliveryError("nothing to send: the reply has no text, files or buttons")
            pieces = [t("telegram.see_above", self._locale)]
        sent: MessageRef | None = None
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            sent = await self._outbox.send_text(
                self._target,
                piece,
                markup=markup if last else None,
                reply_to=reply_to if index == 0 else None,
            )
        assert sent is not None
        return sent

    async def _send_files(
        self, reply: Reply, markup: InlineKeyboardMarkup | None, reply_to: int | None
    ) -> MessageRef:
        text = reply.text.strip()
        caption_fits = utf16_length(text) <= self._limits.max_caption
        batches = _batches(reply.files)
        lone = len(batches) == 1 and len(batches[0]) == 1
        # The text rides on the first file when it fits; buttons can only sit on a single
        # file, so with an album (or a long text) they go on a text message after it.
        text_on_files = caption_fits and (lone or markup is None)
        last: Message | None = None
        for index, batch in enumerate(batches):
            first = index == 0
            caption = text if first and text_on_files else ""
            # Uploads take a while; show what is coming (also for job results).
            await self._outbox.chat_action(self._target, _UPLOADING[send_kind(batch[0])])
            if len(batch) == 1:
                last = await self._outbox.send_file(
                    self._target,
                    batch[0],
                    caption=caption or batch[0].caption,
                    markup=markup if lone and text_on_files else None,
                    reply_to=reply_to if first else None,
                )
            else:
                album = await self._outbox.send_album(
                    self._target, batch, caption=caption, reply_to=reply_to if first else None
                )
                last = album[-1]
        assert last is not None
        if lone and text_on_files:
            return message_ref(last)
        if text_on_files and markup is None:
            return message_ref(last)
        return await self._send_text("" if text_on_files else text, markup, None)

    def _reply_id(self, ref: MessageRef | None) -> int | None:
        if ref is None or ref.chat_id != self._chat.chat_id:
            return None
        try:
            return decode_message_ref(ref)[1]
        except ValueError:
            return None

    def link_to(self, ref: MessageRef) -> str | None:
        same_chat = ref.chat_id == self._chat.chat_id
        return message_link(ref, self._public_name if same_chat else None)

    # -- editing ---------------------------------------------------------------------

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef | None:
        try:
            chat_id, message_id, media = decode_message_ref(ref)
        except ValueError:
            raise DeliveryError(f"not a Telegram message reference: {ref}") from None
        markup = keyboard(reply.buttons)
        if media:
            caption = _clip(reply.text, self._limits.max_caption)
            if reply.files:
                await self._outbox.edit_media(chat_id, message_id, reply.files[0], caption, markup)
            else:
                await self._outbox.edit_caption(chat_id, message_id, caption, markup)
            return None
        if self._can_become_photo(chat_id, reply):
            replacement = await self._replace_with_photo(ref, reply, markup)
            if replacement is not None:
                return replacement
        if reply.text.strip():
            # Files this text message cannot show (several, not a photo, a caption too
            # long for them) are left out: the text still updates in place.
            text = _clip(reply.text, self._limits.max_text)
            await self._outbox.edit_text(chat_id, message_id, text, markup)
        else:
            await self._outbox.edit_markup(chat_id, message_id, markup)
        return None

    def _can_become_photo(self, chat_id: int, reply: Reply) -> bool:
        return (
            len(reply.files) == 1
            and send_kind(reply.files[0]) == "photo"
            and chat_id == self._target.chat_id
            and visible_length(reply.text.strip()) <= self._limits.max_caption
        )

    async def _replace_with_photo(
        self, old: MessageRef, reply: Reply, markup: InlineKeyboardMarkup | None
    ) -> MessageRef | None:
        """Telegram cannot turn a text message into a photo: send the photo with the text
        as its caption where the text was (same topic, answering the same message), then
        delete the text. None when the photo could not be sent (the text is edited then).
        """
        chat_id, message_id, _ = decode_message_ref(old)
        try:
            photo = await self._outbox.send_file(
                self._target, reply.files[0], caption=reply.text.strip(), markup=markup,
                reply_to=replied_id(old),
            )
        except DeliveryError as exc:
            log.info("could not replace message %s with a photo: %s", message_id, exc)
            return None
        # The photo is out: whatever happens to the old text, the photo is the message now.
        await self._outbox.delete(chat_id, message_id)
        return message_ref(photo)

    # -- questions and chat actions -----------------------------------------------------

    async def ask(self, question: Question) -> str | None:
        """A ForceReply message; a reply to it (any text, in a private chat) answers."""
        if self._user is None:
            return None
        prompt, prefill = question.prompt, question.prefill
        plain = t("telegram.ask", self._locale, prompt=prompt)
        html = escape(plain)
        if not self._chat.is_private:
            # ForceReply only reaches the people a message mentions or replies to.
            link = f'<a href="tg://user?id={self._user.id}">{escape(self._user.name)}</a>'
            html = t("telegram.ask_to", self._locale, name=link, question=html)
            plain = t("telegram.ask_to", self._locale, name=self._user.name, question=plain)
        if prefill:
            current = t("telegram.ask_current", self._locale)
            html += f"\n\n{escape(current)}\n<code>{escape(prefill)}</code>"
            plain += f"\n\n{current}\n{prefill}"
        placeholder = (prefill or prompt).strip()[:64] or None
        markup = ForceReply(selective=True, input_field_placeholder=placeholder)
        asked = await self._outbox.send_text(
            self._target, plain, html=html, markup=markup, reply_to=self._reply_id(self._origin)
        )
        return str(decode_message_ref(asked)[1])

    @contextlib.asynccontextmanager
    async def typing(self) -> AsyncIterator[None]:
        done = asyncio.Event()
        shown = asyncio.Event()
        task = asyncio.create_task(self._show_action(done, shown))
        try:
            yield
        finally:
            done.set()
            if not shown.is_set():
                task.cancel()  # still in its pause: the work ended before any action
            await asyncio.wait({task})
            if not task.cancelled():
                task.result()

    async def _show_action(self, done: asyncio.Event, shown: asyncio.Event) -> None:
        # The first action waits a moment (on the injected sleep, which tests jump over):
        # the work's own first request (the relay call) goes out before it instead of
        # queueing behind it, and work done by then needs no "typing…" at all.
        await self._outbox.sleep(ACTION_DELAY_S)
        shown.set()
        # Real time on purpose: this repeats while work runs and must not spin on an
        # instant test sleep.
        while not done.is_set():
            await self._outbox.chat_action(self._target, self._action)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(ACTION_REPEAT_S):
                    await done.wait()


class PressResponder:
    """A responder for one button press that always answers the callback query."""

    def __init__(
        self,
        inner: TelegramResponder,
        outbox: Outbox,
        query_id: str,
        pressed: MessageRef,
    ) -> None:
        self._inner = inner
        self._outbox = outbox
        self._query_id = query_id
        self._pressed = pressed
        self._answered = False

    @property
    def limits(self) -> PlatformLimits:
        return self._inner.limits

    async def acknowledge(self) -> None:
        """Stop the button's spinner (once)."""
        if not self._answered:
            self._answered = True
            await self._outbox.answer_callback(self._query_id)

    async def send(self, reply: Reply) -> MessageRef:
        if not self._answered and self._is_toast(reply):
            self._answered = True
            await self._outbox.answer_callback(self._query_id, reply.text, alert=True)
            return self._pressed
        await self.acknowledge()
        return await self._inner.send(reply)

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef | None:
        await self.acknowledge()
        return await self._inner.edit(ref, reply)

    async def ask(self, question: Question) -> str | None:
        await self.acknowledge()
        return await self._inner.ask(question)

    def typing(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self._inner.typing()

    def link_to(self, ref: MessageRef) -> str | None:
        # The first private notice becomes a toast, whose text cannot be tapped.
        return self._inner.link_to(ref) if self._answered else None

    def _is_toast(self, reply: Reply) -> bool:
        fits = not reply.files and not reply.buttons and len(reply.text) <= _TOAST_MAX
        return reply.ephemeral and fits


def _fit(text: str, limit: int) -> list[str]:
    """``text`` in pieces Telegram accepts (it counts UTF-16 units, the core characters)."""
    if not text.strip():
        return []
    return [fitted for piece in split_text(text, limit) for fitted in _fit_piece(piece, limit)]


def _fit_piece(piece: str, limit: int) -> list[str]:
    units = utf16_length(piece)
    if units <= limit:
        return [piece]
    chars = max(16, limit * len(piece) // units - 8)  # always fewer than len(piece)
    return [fitted for part in split_text(piece, chars) for fitted in _fit_piece(part, limit)]


def _clip(text: str, limit: int) -> str:
    """An edit cannot become two messages: cut what does not fit.

    Telegram counts the text after entity parsing, so markdown markers (and link URLs)
    do not use up the limit; only text that really does not fit is cut."""
    if visible_length(text) <= limit:
        return text
    low, high = 0, len(text)  # the longest prefix that fits, found by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if visible_length(text[:middle] + "…") <= limit:
            low = middle
        else:
            high = middle - 1
    if visible_length(text[:low] + "…") <= limit:
        return text[:low] + "…"
    cut = text[: limit - 1]  # raw units never undercount what Telegram sees
    while utf16_length(cut) > limit - 1:
        cut = cut[:-1]
    return cut + "…"


def _batches(files: Sequence[OutgoingFile]) -> list[list[OutgoingFile]]:
    """Files grouped into albums Telegram accepts (same family, at most ten)."""
    batches: list[list[OutgoingFile]] = []
    family_of_last: str | None = None
    for file in files:
        family = _FAMILIES.get(send_kind(file))
        joins = family is not None and family == family_of_last
        if batches and joins and len(batches[-1]) < _ALBUM_MAX:
            batches[-1].append(file)
            continue
        batches.append([file])
        family_of_last = family
    return batches
