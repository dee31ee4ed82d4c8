"""Open questions (``ask_text``): the bot asked with ForceReply and waits for the answer.

One question per user per chat and topic. The user's reply to the question message
answers it; in a private chat any plain text does (not every client makes replying
obvious). A command cancels the question: ``/cancel`` is swallowed, any other command
then runs as usual.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Final

from telegram import Message

from adapters.telegram.convert import thread_of

_CANCEL_RE: Final = re.compile(r"^/cancel(?:@\w+)?(?:\s|$)", re.IGNORECASE)

QuestionKey = tuple[int, str, int]  # chat id, thread id ("" outside topics), user id


@dataclass(slots=True)
class _Question:
    message_id: int
    answer: asyncio.Future[str | None]


class Questions:
    def __init__(self) -> None:
        self._open: dict[QuestionKey, _Question] = {}

    async def wait(self, key: QuestionKey, message_id: int, timeout_s: float) -> str | None:
        """Wait for the answer to the question sent as ``message_id``; None when cancelled,
        replaced by a newer question, or unanswered after ``timeout_s``."""
        previous = self._open.pop(key, None)
        if previous is not None and not previous.answer.done():
            previous.answer.set_result(None)
        question = _Question(message_id, asyncio.get_running_loop().create_future())
        self._open[key] = question
        try:
            async with asyncio.timeout(timeout_s):
                return await question.answer
        except TimeoutError:
            return None
        finally:
            if self._open.get(key) is question:
                del self._open[key]

    def offer(self, message: Message) -> bool:
        """Give ``message`` to the question it answers; True when it was consumed."""
        if message.from_user is None or message.text is None:
            return False
        key = (message.chat.id, thread_of(message), message.from_user.id)
        question = self._open.get(key)
        if question is None or question.answer.done():
            return False
        text = message.text.strip()
        if text.startswith("/"):
            question.answer.set_result(None)
            del self._open[key]
            return _CANCEL_RE.match(text) is not None
        replied = message.reply_to_message
        is_reply = replied is not None and replied.message_id == question.message_id
        if not is_reply and message.chat.type != message.chat.PRIVATE:
            return False
        question.answer.set_result(text)
        del self._open[key]
        return True

    def cancel_all(self) -> None:
        for question in self._open.values():
            if not question.answer.done():
                question.answer.set_result(None)
        self._open.clear()
