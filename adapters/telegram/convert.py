"""Pure conversions between Telegram objects and the core's neutral values.

Who and where (:func:`user_ref`, :func:`chat_ref`), whether a message is meant for the
bot (:func:`read_addressing`: commands for another bot are ignored, ``@bot`` mentions
and replies to the bot count in groups), message references that remember whether a
message has a caption rather than text (so edits pick the right method, even after a
restart) and which message a text message answers, and buttons to inline keyboards.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    User,
)
from telegram.constants import ChatAction

from bot.core.dispatcher import AnswerHint, CommandSpec
from bot.core.models import Button, ChatRef, MessageRef, UserRef

PLATFORM: Final = "telegram"
_MEDIA_SUFFIX: Final = "m"
_REPLY_MARK: Final = "r"
_SUPERGROUP_PREFIX: Final = "-100"  # Bot API ids of supergroups and channels
_MESSAGE_ID_RE: Final = re.compile(
    rf"(?P<id>\d+)(?:(?P<media>{_MEDIA_SUFFIX})|{_REPLY_MARK}(?P<replied>\d+))?"
)
_COMMAND_RE: Final = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@(?P<bot>[A-Za-z0-9_]+))?")
_ACTIONS: Final[dict[AnswerHint, ChatAction]] = {
    "text": ChatAction.TYPING,
    "image": ChatAction.UPLOAD_PHOTO,
    "speech": ChatAction.RECORD_VOICE,
    "music": ChatAction.UPLOAD_VOICE,
    "video": ChatAction.UPLOAD_VIDEO,
}


@dataclass(frozen=True, slots=True)
class Addressing:
    """What a message says to the bot."""

    text: str  # with a leading @bot mention removed from plain text
    command: str | None  # lower-case name when the message is a command for us
    for_other_bot: bool  # /cmd@otherbot: not ours to answer
    mentioned: bool
    replied_to_bot: bool


def user_ref(user: User) -> UserRef:
    return UserRef(id=str(user.id), name=user.full_name or user.username or str(user.id),
                   locale=user.language_code)


def thread_of(message: Message) -> str:
    """The forum topic a message belongs to; "" outside topics (and for "General")."""
    if message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    return ""


def chat_ref(chat: Chat, thread_id: str = "") -> ChatRef:
    return ChatRef(PLATFORM, str(chat.id), thread_id, is_private=chat.type == Chat.PRIVATE)


def message_ref(message: Message) -> MessageRef:
    return MessageRef(str(message.chat.id), encode_message_id(message))


def encode_message_id(message: Message) -> str:
    """The message id, marked when the message shows a caption instead of text.

    A text message that answers another one also names that message: when an edit has
    to replace it with a photo, the photo answers the same message (also after a
    restart, as Telegram cannot be asked what a message replied to)."""
    if message.text is None and message.effective_attachment is not None:
        return f"{message.message_id}{_MEDIA_SUFFIX}"
    replied = real_reply(message)
    if replied is not None:
        return f"{message.message_id}{_REPLY_MARK}{replied.message_id}"
    return str(message.message_id)


def sent_text_ref(answer: Mapping[str, Any]) -> MessageRef | None:
    """:func:`message_ref` of a sent text message, read from the Bot API's raw answer.

    The same reference as from the parsed :class:`~telegram.Message` (the replied-to
    message named, the topic root left out); None when the answer is not a text message,
    for the caller to parse it whole."""
    if not isinstance(answer.get("text"), str):
        return None
    chat_id, message_id = answer["chat"]["id"], answer["message_id"]
    replied = answer.get("reply_to_message")
    if (
        replied is not None
        and replied.get("forum_topic_created") is None
        and not (answer.get("is_topic_message")
                 and replied["message_id"] == answer.get("message_thread_id"))
    ):
        return MessageRef(str(chat_id), f"{message_id}{_REPLY_MARK}{replied['message_id']}")
    return MessageRef(str(chat_id), str(message_id))


def public_name(chat: Chat) -> str | None:
    """The @name of a public group or channel. A private chat's ``username`` is its
    user's, which opens a chat with that user, not the message: None there."""
    if chat.type == Chat.PRIVATE:
        return None
    return chat.username or None


def message_link(ref: MessageRef, username: str | None = None) -> str | None:
    """A t.me link that opens message ``ref``: ``t.me/<username>/<id>`` in a public group
    or channel (``username`` from :func:`public_name`: anyone can open it),
    ``t.me/c/<internal id>/<id>`` in any other supergroup or channel (chat ids starting
    with -100; members can open it), None in private chats and basic groups, which
    Telegram gives no links."""
    try:
        chat_id, message_id, _ = decode_message_ref(ref)
    except ValueError:
        return None
    if username:
        return f"https://t.me/{username}/{message_id}"
    text = str(chat_id)
    if text.startswith(_SUPERGROUP_PREFIX):
        return f"https://t.me/c/{text.removeprefix(_SUPERGROUP_PREFIX)}/{message_id}"
    return None


def decode_message_ref(ref: MessageRef) -> tuple[int, int, bool]:
    """(chat id, message id, whether it is a media message with a caption)."""
    chat_id, message_id, media, _ = _decode(ref)
    return chat_id, message_id, media


def replied_id(ref: MessageRef) -> int | None:
    """The message a text message answers, when its reference says so."""
    return _decode(ref)[3]


def _decode(ref: MessageRef) -> tuple[int, int, bool, int | None]:
    match = _MESSAGE_ID_RE.fullmatch(ref.message_id)
    if match is None:
        raise ValueError(f"not a Telegram message id: {ref.message_id!r}")
    replied = match["replied"]
    return (int(ref.chat_id), int(match["id"]), match["media"] is not None,
            int(replied) if replied is not None else None)


def real_reply(message: Message) -> Message | None:
    """The message this one answers, ignoring the topic root every topic message points at."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return None
    if message.is_topic_message and replied.message_id == message.message_thread_id:
        return None
    return replied


def read_addressing(message: Message, bot: User) -> Addressing:
    text = message.text or message.caption or ""
    username = (bot.username or "").lower()
    replied = real_reply(message)
    replied_to_bot = bool(
        replied is not None and replied.from_user is not None and replied.from_user.id == bot.id
    )
    command_match = _COMMAND_RE.match(text)
    if command_match is not None:
        target = command_match["bot"]
        for_other = target is not None and target.lower() != username
        return Addressing(text, command_match["name"].lower(), for_other, False, replied_to_bot)
    mentioned = _mentions(message, bot, username)
    if mentioned and username:
        text = re.sub(rf"(?<!\w)@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE)
        text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return Addressing(text, None, False, mentioned, replied_to_bot)


def _mentions(message: Message, bot: User, username: str) -> bool:
    entities = (
        message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
        if message.text is not None
        else message.parse_caption_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    )
    for entity, value in entities.items():
        if entity.type == MessageEntity.MENTION and value.lower() == f"@{username}":
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return True
    return False


def with_start_as_help(text: str, command: str | None, known: Collection[str]) -> str:
    """Telegram clients send /start first; without a /start command, show /help."""
    if command == "start" and "start" not in known and "help" in known:
        return "/help"
    return text


def chat_action_for(spec: CommandSpec | None) -> ChatAction:
    """What the chat shows while a command runs ("sending photo…", "recording voice…"),
    from its answer hint; plain messages and unknown commands show "typing…"."""
    return _ACTIONS[spec.answer] if spec is not None else ChatAction.TYPING


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """Buttons as an inline keyboard; callback data is the button's short key."""
    markup = [
        [InlineKeyboardButton(button.label, callback_data=button.key) for button in row]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(markup) if markup else None
