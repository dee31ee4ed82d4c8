"""The bot-side Bot API methods of the fake: sending, editing, files, commands.

Each method takes the decoded parameters and uploaded files of one call and returns the
``result`` Telegram would return, or raises :class:`ApiError` with Telegram's wording
(texts are parsed in HTML mode and length-checked, edits that change nothing are
"message is not modified", callback data over 64 bytes is refused...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from tests.fakes.telegram_html import HtmlParseError, utf16_length, visible_text
from tests.fakes.telegram_world import (
    JSON,
    ApiError,
    BotMessage,
    FakeWorld,
    UploadedFile,
    bad_request,
    file_json,
    jpeg_size,
    resolve_file,
    thumbnail_of,
    upload_extra,
)

Method = Callable[[JSON, Mapping[str, UploadedFile]], Any]
MAX_TEXT: Final = 4096
MAX_CAPTION: Final = 1024
MAX_UPLOAD: Final = 50 * 1024 * 1024
MAX_PHOTO: Final = 10 * 1024 * 1024
CHAT_ACTIONS: Final = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
_COMMAND_RE: Final = re.compile(r"^[a-z0-9_]{1,32}$")
_NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
MEDIA_FIELDS: Final = {
    "sendPhoto": ("photo", "photo"),
    "sendAudio": ("audio", "audio"),
    "sendVoice": ("voice", "voice"),
    "sendVideo": ("video", "video"),
    "sendDocument": ("document", "document"),
}
_GROUP_KINDS: Final = {"photo": "photo", "video": "video", "audio": "audio", "document": "document"}


class BotMethods:
    def __init__(self, world: FakeWorld) -> None:
        self.world = world
        self.table: dict[str, Method] = {
            "getMe": lambda p, f: world.bot_user,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": lambda p, f: {
                "url": world.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
            },
            "getFile": lambda p, f: world.get_file(str(p["file_id"])),
            "getChat": lambda p, f: {**world.chat(int(p["chat_id"])), "accent_color_id": 0},
            "sendMessage": self._send_message,
            "sendMediaGroup": self._send_media_group,
            "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_caption,
            "editMessageMedia": self._edit_media,
            "editMessageReplyMarkup": self._edit_markup,
            "deleteMessage": self._delete,
            "answerCallbackQuery": self._answer_callback,
            "sendChatAction": self._chat_action,
            "setMyCommands": self._set_commands,
            "getMyCommands": lambda p, f: world.commands.get(p.get("language_code", ""), []),
            "deleteMyCommands": self._delete_commands,
        }
        for method, (field, kind) in MEDIA_FIELDS.items():
            self.table[method] = self._media_sender(field, kind)

    # -- sending ---------------------------------------------------------------------

    def _send_message(self, p: JSON, files: Mapping[str, UploadedFile]) -> JSON:
        text = str(p.get("text", ""))
        visible = _render(text, p.get("parse_mode"), MAX_TEXT, caption=False)
        buttons, force_reply, markup = _markup(p.get("reply_markup"))
        chat_id = int(p["chat_id"])
        fields = self._common(chat_id, p)
        message = self.world.new_message(
            chat_id, self.world.bot_user, text=visible, reply_markup=markup, **fields
        )
        self._remember(message, "text", visible, text, p, buttons, force_reply)
        return message

    def _media_sender(self, field: str, kind: str) -> Method:
        def send(p: JSON, files: Mapping[str, UploadedFile]) -> JSON:
            upload = resolve_file(p.get(field), field, files)
            caption = str(p.get("caption", ""))
            visible = _render(caption, p.get("parse_mode"), MAX_CAPTION, caption=True)
            if kind == "photo" and len(upload.data) > MAX_PHOTO:
                raise bad_request("PHOTO_SAVE_FILE_INVALID")
            buttons, force_reply, markup = _markup(p.get("reply_markup"))
            chat_id = int(p["chat_id"])
            media = self._media_json(kind, upload, p, files)
            fields = self._common(chat_id, p)
            message = self.world.new_message(
                chat_id,
                self.world.bot_user,
                caption=visible or None,
                reply_markup=markup,
                **media,
                **fields,
            )
            record = self._remember(message, kind, visible, caption, p, buttons, force_reply)
            record.file = upload
            record.extra = upload_extra(p, files)
            return message

        return send

    def _send_media_group(self, p: JSON, files: Mapping[str, UploadedFile]) -> list[JSON]:
        items = p.get("media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise bad_request("wrong number of media in the album")
        kinds = {_GROUP_KINDS.get(str(item.get("type")), "?") for item in items}
        if "?" in kinds or (len(kinds) > 1 and not kinds <= {"photo", "video"}):
            raise bad_request("MEDIA_INVALID")
        chat_id = int(p["chat_id"])
        group_id = self.world.new_media_group_id()
        fields = self._common(chat_id, p)
        sent: list[JSON] = []
        for item in items:
            kind = str(item["type"])
            upload = resolve_file(item.get("media"), kind, files)
            caption = str(item.get("caption", ""))
            visible = _render(caption, item.get("parse_mode"), MAX_CAPTION, caption=True)
            media = self._media_json(kind, upload, item, files)
            message = self.world.new_message(
                chat_id,
                self.world.bot_user,
                caption=visible or None,
                media_group_id=group_id,
                **media,
                **fields,
            )
            record = self._remember(message, kind, visible, caption, item, [], None)
            record.file = upload
            record.media_group_id = group_id
            sent.append(message)
        return sent

    def _common(self, chat_id: int, p: JSON) -> JSON:
        chat = self.world.chat(chat_id)
        fields: JSON = {}
        thread = p.get("message_thread_id")
        if thread is not None:
            if not chat.get("is_forum"):
                raise bad_request("message thread not found")
            fields["message_thread_id"] = int(thread)
            fields["is_topic_message"] = True
        reply = p.get("reply_parameters") or {}
        reply_id = reply.get("message_id", p.get("reply_to_message_id"))
        if reply_id is not None:
            target = self.world.messages.get((chat_id, int(reply_id)))
            if target is not None:
                fields["reply_to_message"] = {
                    k: v for k, v in target.items() if k != "reply_to_message"
                }
            elif not reply.get("allow_sending_without_reply"):
                raise bad_request("message to be replied not found")
        return fields

    def _media_json(
        self, kind: str, upload: UploadedFile, p: JSON, files: Mapping[str, UploadedFile]
    ) -> JSON:
        if len(upload.data) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        stored = self.world.add_file(upload.data, mime=upload.content_type, name=upload.filename)
        duration = p.get("duration")
        if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)
                                     or duration < 0):
            raise bad_request(f"wrong duration {duration!r}: whole seconds expected")
        duration = duration or 1
        thumbnail, problem = thumbnail_of(kind, p, files)
        if problem is not None:
            self.world.protocol_errors.append(f"thumbnail dropped: {problem}")
        thumb = None
        if thumbnail is not None:
            kept = self.world.add_file(thumbnail.data, mime="image/jpeg", name="thumb.jpg")
            width, height = jpeg_size(thumbnail.data) or (0, 0)
            thumb = file_json(kept, width=width, height=height)
        if kind == "photo":
            sizes = [file_json(stored, width=90, height=90), file_json(stored, width=512,
                                                                        height=512)]
            return {"photo": sizes}
        if kind == "audio":
            return {"audio": file_json(stored, duration=duration, title=p.get("title"),
                                       performer=p.get("performer"), file_name=upload.filename,
                                       mime_type=upload.content_type, thumbnail=thumb)}
        if kind == "voice":
            return {"voice": file_json(stored, duration=duration, mime_type=upload.content_type)}
        if kind == "video":
            return {"video": file_json(stored, width=int(p.get("width") or 640),
                                       height=int(p.get("height") or 360), duration=duration,
                                       file_name=upload.filename, mime_type=upload.content_type,
                                       thumbnail=thumb)}
        return {"document": file_json(stored, file_name=upload.filename,
                                      mime_type=upload.content_type, thumbnail=thumb)}

    def _remember(
        self,
        message: JSON,
        kind: str,
        visible: str,
        raw: str,
        p: JSON,
        buttons: list[list[tuple[str, str]]],
        force_reply: JSON | None,
    ) -> BotMessage:
        reply = message.get("reply_to_message")
        record = BotMessage(
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            kind=kind,
            text=visible,
            raw=raw,
            parse_mode=p.get("parse_mode"),
            buttons=buttons,
            thread_id=message.get("message_thread_id"),
            reply_to=reply["message_id"] if reply else None,
            force_reply=force_reply,
            history=[visible],
        )
        self.world.bot_messages[(record.chat_id, record.message_id)] = record
        return record

    # -- editing ---------------------------------------------------------------------

    def _target(self, p: JSON) -> tuple[JSON, BotMessage]:
        if "inline_message_id" in p:
            raise bad_request("inline messages are not supported by the fake")
        chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
        message = self.world.message(chat_id, message_id)
        record = self.world.bot_messages.get((chat_id, message_id))
        if record is None or record.deleted:
            raise bad_request("message can't be edited")
        return message, record

    def _edit_text(self, p: JSON, files: Mapping[str, UploadedFile]) -> JSON:
        message, record = self._target(p)
        if record.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text = str(p.get("text", ""))
        visible = _render(text, p.get("parse_mode"), MAX_TEXT, caption=False)
        return self._apply_edit(message, record, visible, text, p, "text")

    def _edit_caption(self, p: JSON, files: Mapping[str, UploadedFile]) -> JSON:
        message, record = self._target(p)
        if record.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        caption = str(p.get("caption", ""))
        visible = _render(caption, p.get("parse_mode"), MAX_CAPTION, caption=True)
        return self._apply_edit(message, record, visible, caption, p, "caption")

    def _apply_edit(
        self, message: JSON, record: BotMessage, visible: str, raw: str, p: JSON, key: str
    ) -> JSON:
        buttons, _, markup = _markup(p.get("reply_markup"))
        same_text = visible == record.text and raw == record.raw
        if same_text and buttons == record.buttons:
            raise bad_request(_NOT_MODIFIED)
        record.text, record.raw, record.parse_mode = visible, raw, p.get("parse_mode")
        record.buttons = buttons
        record.history.append(visible)
        message[key] = visible
        _set_markup(message, markup)
        message["edit_date"] = message["date"] + len(record.history)
        return message

    def _edit_media(self, p: JSON, files: Mapping[str, UploadedFile]) -> JSON:
        message, record = self._target(p)
        item = p.get("media")
        if not isinstance(item, dict) or record.kind == "text":
            raise bad_request("MEDIA_INVALID")
        kind = str(item.get("type"))
        upload = resolve_file(item.get("media"), kind, files)
        caption = str(item.get("caption", ""))
        visible = _render(caption, item.get("parse_mode"), MAX_CAPTION, caption=True)
        for old in ("photo", "audio", "voice", "video", "document", "caption"):
            message.pop(old, None)
        message.update(self._media_json(kind, upload, item, files))
        if visible:
            message["caption"] = visible
        buttons, _, markup = _markup(p.get("reply_markup"))
        _set_markup(message, markup)
        record.kind, record.file, record.text, record.raw = kind, upload, visible, caption
        record.buttons = buttons
        record.history.append(visible)
        return message

    def _edit_markup(self, p: JSON, files: Mapping[str, UploadedFile]) -> JSON:
        message, record = self._target(p)
        buttons, _, markup = _markup(p.get("reply_markup"))
        if buttons == record.buttons:
            raise bad_request(_NOT_MODIFIED)
        record.buttons = buttons
        _set_markup(message, markup)
        return message

    def _delete(self, p: JSON, files: Mapping[str, UploadedFile]) -> bool:
        """Like Telegram: a message id is only found in its own chat, and once deleted it
        is gone (editing it, replying to it or deleting it again is an error). Bots
        delete their own messages anywhere and others' only in private chats (the fake
        has no admin rights)."""
        chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
        chat = self.world.chat(chat_id)
        message = self.world.messages.get((chat_id, message_id))
        if message is None:
            raise bad_request("message to delete not found")
        own = message["from"]["id"] == self.world.bot_user["id"]
        if not own and chat.get("type") != "private":
            raise bad_request("message can't be deleted")
        del self.world.messages[(chat_id, message_id)]
        record = self.world.bot_messages.get((chat_id, message_id))
        if record is not None:
            record.deleted = True
        return True

    # -- the rest --------------------------------------------------------------------

    def _answer_callback(self, p: JSON, files: Mapping[str, UploadedFile]) -> bool:
        query_id = str(p.get("callback_query_id"))
        if self.world.callback_queries.get(query_id, True):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(p.get("text", ""))) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.world.callback_queries[query_id] = True
        return True

    def _chat_action(self, p: JSON, files: Mapping[str, UploadedFile]) -> bool:
        if p.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._common(int(p["chat_id"]), p)
        return True

    def _set_commands(self, p: JSON, files: Mapping[str, UploadedFile]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100")
        for command in commands:
            if not _COMMAND_RE.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.world.commands[str(p.get("language_code", ""))] = commands
        return True

    def _delete_commands(self, p: JSON, files: Mapping[str, UploadedFile]) -> bool:
        self.world.commands.pop(str(p.get("language_code", "")), None)
        return True

    def _delete_webhook(self, p: JSON, files: Mapping[str, UploadedFile]) -> bool:
        self.world.webhook = {"url": ""}
        return True

    def _set_webhook(self, p: JSON, files: Mapping[str, UploadedFile]) -> bool:
        self.world.webhook = {"url": str(p.get("url", "")), "secret": p.get("secret_token")}
        return True


def _render(text: str, parse_mode: object, limit: int, *, caption: bool) -> str:
    if parse_mode == "HTML":
        try:
            visible = visible_text(text)
        except HtmlParseError as exc:
            raise ApiError(400, str(exc)) from None
    elif parse_mode in (None, ""):
        visible = text
    else:
        raise bad_request(f"the fake only speaks HTML parse mode, not {parse_mode}")
    visible = visible.strip()
    if not caption and not visible:
        raise bad_request("message text is empty")
    if utf16_length(visible) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    return visible


def _markup(raw: object) -> tuple[list[list[tuple[str, str]]], JSON | None, JSON | None]:
    """(buttons, force_reply, markup to show in the Message)."""
    if raw is None:
        return [], None, None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if raw.get("force_reply"):
        return [], raw, None
    rows = raw.get("inline_keyboard")
    if not isinstance(rows, list):
        raise bad_request("unsupported reply markup")
    buttons: list[list[tuple[str, str]]] = []
    for row in rows:
        labels: list[tuple[str, str]] = []
        for button in row:
            data = str(button.get("callback_data", ""))
            if not str(button.get("text", "")).strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            if not 1 <= len(data.encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
            labels.append((str(button["text"]), data))
        buttons.append(labels)
    return buttons, None, raw if buttons else None


def _set_markup(message: JSON, markup: JSON | None) -> None:
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup
