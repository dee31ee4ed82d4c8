"""Open questions (``ask_text``): the bot asked with ForceReply and waits for the answer.

One question per user per chat and topic (a :class:`~adapters.base.PendingAnswers`
key). The user's reply to the question message answers it; in a private chat any plain
text does (not every client makes replying obvious). A command cancels the question:
``/cancel`` is swallowed, any other command then runs as usual.
"""

from __future__ import annotations

import re
from typing import Final

from telegram import Message

from adapters.base import PendingAnswers
from adapters.telegram.convert import thread_of

_CANCEL_RE: Final = re.compile(r"^/cancel(?:@\w+)?(?:\s|$)", re.IGNORECASE)

QuestionKey = tuple[int, str, int]  # chat id, thread id ("" outside topics), user id


class Questions(PendingAnswers[QuestionKey]):
    def offer(self, message: Message) -> bool:
        """Give ``message`` to the question it answers; True when it was consumed."""
        if message.from_user is None or message.text is None:
            return False
        key = (message.chat.id, thread_of(message), message.from_user.id)
        asked_in = self.asked_in(key)
        if asked_in is None:
            return False
        text = message.text.strip()
        if text.startswith("/"):
            self.answer(key, None)
            return _CANCEL_RE.match(text) is not None
        replied = message.reply_to_message
        is_reply = replied is not None and str(replied.message_id) == asked_in
        if not is_reply and message.chat.type != message.chat.PRIVATE:
            return False
        return self.answer(key, text)
