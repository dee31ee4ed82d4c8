"""The work of received updates: each update runs in its own task, so a long answer in one
chat never holds up another chat, counted per chat and given a grace period on stop."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Coroutine
from typing import Any


class UpdateTasks:
    """The running tasks of updates; ``log`` (the adapter's logger) reports one that
    failed, since nothing awaits it to see the exception."""

    def __init__(self, *, shutdown_grace_s: float, log: logging.Logger) -> None:
        self._shutdown_grace_s = shutdown_grace_s
        self._log = log
        self._tasks: set[asyncio.Task[None]] = set()
        # Per chat, so that a chat turn can tell whether another update of its chat is
        # under way (see TelegramAdapter._likely_chat_turn).
        self._in_flight: Counter[int] = Counter()

    def spawn(self, work: Coroutine[Any, Any, None], chat_id: int | None = None) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        if chat_id is not None:
            self._in_flight[chat_id] += 1
            task.add_done_callback(lambda _: self._left(chat_id))
        task.add_done_callback(self._finished)

    def in_flight(self, chat_id: int) -> int:
        """How many updates of the chat are being handled (the caller's own included)."""
        return self._in_flight[chat_id]

    async def finish(self) -> None:
        """Let running work finish for the grace period, then cancel what is left."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=self._shutdown_grace_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def settled(self) -> None:
        """Wait until every task, also those started meanwhile, is done."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _left(self, chat_id: int) -> None:
        self._in_flight[chat_id] -= 1
        if self._in_flight[chat_id] <= 0:
            del self._in_flight[chat_id]

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._log.error("Telegram update failed", exc_info=task.exception())
