"""The user side of the fake Telegram: people writing, sending media and pressing buttons.

Every helper builds the Bot API JSON Telegram would deliver (entities for commands and
mentions in UTF-16 offsets, ``reply_to_message``, topics with ``message_thread_id``,
albums sharing a ``media_group_id``, files served by ``getFile``) and queues it as an
update for ``getUpdates``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Final

from tests.fakes.telegram_world import JSON, BotMessage, FakeWorld, file_json

_MENTION_RE: Final = re.compile(r"@[A-Za-z0-9_]{3,32}")


@dataclass(frozen=True, slots=True)
class TgUser:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"

    def json(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True, slots=True)
class TgChat:
    id: int
    type: str  # "private" or "supergroup"
    title: str | None = None
    is_forum: bool = False

    @property
    def is_private(self) -> bool:
        return self.type == "private"


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entities_for(text: str) -> list[JSON]:
    """bot_command and mention entities, as Telegram computes them."""
    found: list[JSON] = []
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        found.append({"type": "bot_command", "offset": 0, "length": _utf16(command)})
    for match in _MENTION_RE.finditer(text):
        if match.start() > 0 and text[match.start() - 1] not in " \n\t(":
            continue
        found.append(
            {"type": "mention", "offset": _utf16(text[: match.start()]),
             "length": _utf16(match.group())}
        )
    return found


class UserActions:
    """Mixed into :class:`tests.fakes.telegram_api.FakeTelegram`."""

    world: FakeWorld

    def _push(self, kind: str, payload: JSON) -> int:
        raise NotImplementedError

    def _init_users(self) -> None:
        self._query_ids = itertools.count(1)
        self._topics: dict[tuple[int, int], JSON] = {}

    # -- people and places -----------------------------------------------------------

    def user(
        self,
        user_id: int = 1001,
        first_name: str = "Alice",
        *,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> TgUser:
        return TgUser(user_id, first_name, username, language_code)

    def private_chat(self, user: TgUser) -> TgChat:
        chat = TgChat(user.id, "private")
        self.world.add_chat(
            {"id": user.id, "type": "private", "first_name": user.first_name,
             **({"username": user.username} if user.username else {})}
        )
        return chat

    def group(self, chat_id: int = -1001234, title: str = "Test group", *,
              forum: bool = False) -> TgChat:
        data: JSON = {"id": chat_id, "type": "supergroup", "title": title}
        if forum:
            data["is_forum"] = True
        self.world.add_chat(data)
        return TgChat(chat_id, "supergroup", title, forum)

    def topic(self, chat: TgChat, creator: TgUser, name: str = "Topic") -> int:
        """Create a forum topic; returns its ``message_thread_id``."""
        message = self.world.new_message(
            chat.id, creator.json(),
            forum_topic_created={"name": name, "icon_color": 7322096},
        )
        thread_id = int(message["message_id"])
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
        self._topics[(chat.id, thread_id)] = message
        self._push("message", message)
        return thread_id

    # -- messages --------------------------------------------------------------------

    def send_text(
        self,
        chat: TgChat,
        user: TgUser,
        text: str,
        *,
        reply_to: int | None = None,
        thread: int | None = None,
    ) -> JSON:
        return self._user_message(
            chat, user, reply_to, thread, text=text, entities=entities_for(text) or None
        )

    def send_photo(self, chat: TgChat, user: TgUser, data: bytes, *, caption: str = "",
                   reply_to: int | None = None, thread: int | None = None,
                   declared_size: int | None = None, media_group_id: str | None = None) -> JSON:
        stored = self.world.add_file(data, mime="image/jpeg", name="photo.jpg",
                                     declared_size=declared_size)
        sizes = [file_json(stored, width=320, height=320), file_json(stored, width=1024,
                                                                     height=1024)]
        return self._media(chat, user, caption, reply_to, thread, photo=sizes,
                           media_group_id=media_group_id)

    def send_voice(self, chat: TgChat, user: TgUser, data: bytes, *, duration: int = 2,
                   caption: str = "", reply_to: int | None = None,
                   thread: int | None = None, declared_size: int | None = None) -> JSON:
        stored = self.world.add_file(data, mime="audio/ogg", name="voice.ogg",
                                     declared_size=declared_size)
        voice = file_json(stored, duration=duration, mime_type="audio/ogg")
        return self._media(chat, user, caption, reply_to, thread, voice=voice)

    def send_audio(self, chat: TgChat, user: TgUser, data: bytes, *,
                   filename: str = "song.mp3", mime: str = "audio/mpeg", caption: str = "",
                   reply_to: int | None = None, thread: int | None = None) -> JSON:
        stored = self.world.add_file(data, mime=mime, name=filename)
        audio = file_json(stored, duration=3, file_name=filename, mime_type=mime)
        return self._media(chat, user, caption, reply_to, thread, audio=audio)

    def send_document(self, chat: TgChat, user: TgUser, data: bytes, *, filename: str,
                      mime: str, caption: str = "", reply_to: int | None = None,
                      thread: int | None = None, declared_size: int | None = None) -> JSON:
        stored = self.world.add_file(data, mime=mime, name=filename,
                                     declared_size=declared_size)
        document = file_json(stored, file_name=filename, mime_type=mime)
        return self._media(chat, user, caption, reply_to, thread, document=document)

    def send_album(self, chat: TgChat, user: TgUser, images: list[bytes], *,
                   caption: str = "", thread: int | None = None) -> list[JSON]:
        """Several photos sent together: one update each, the caption on the first."""
        group_id = self.world.new_media_group_id()
        return [
            self.send_photo(chat, user, data, caption=caption if index == 0 else "",
                            thread=thread, media_group_id=group_id)
            for index, data in enumerate(images)
        ]

    def press(self, user: TgUser, message: BotMessage, label: str) -> str:
        """Press the button labelled ``label`` under a bot message; returns the query id."""
        return self.press_data(user, message, message.data_for(label))

    def press_data(self, user: TgUser, message: BotMessage, data: str) -> str:
        query_id = f"cq{next(self._query_ids)}"
        self.world.callback_queries[query_id] = False
        stored = self.world.message(message.chat_id, message.message_id)
        self._push("callback_query", {
            "id": query_id,
            "from": user.json(),
            "chat_instance": f"ci{message.chat_id}",
            "data": data,
            "message": stored,
        })
        return query_id

    # -- internals -------------------------------------------------------------------

    def _media(self, chat: TgChat, user: TgUser, caption: str, reply_to: int | None,
               thread: int | None, **fields: Any) -> JSON:
        if caption:
            fields["caption"] = caption
            fields["caption_entities"] = entities_for(caption) or None
        return self._user_message(chat, user, reply_to, thread, **fields)

    def _user_message(self, chat: TgChat, user: TgUser, reply_to: int | None,
                      thread: int | None, **fields: Any) -> JSON:
        if thread is not None:
            fields["message_thread_id"] = thread
            fields["is_topic_message"] = True
        replied: JSON | None = None
        if reply_to is not None:
            replied = self.world.message(chat.id, reply_to)
        elif thread is not None:
            replied = self._topics.get((chat.id, thread))
        if replied is not None:
            fields["reply_to_message"] = {
                k: v for k, v in replied.items() if k != "reply_to_message"
            }
        message = self.world.new_message(chat.id, user.json(), **fields)
        self._push("message", message)
        return message
