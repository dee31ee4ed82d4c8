"""Staying inside Telegram's flood limits, and riding out a 429 when we don't.

Telegram allows about one message per second per chat, 20 per minute in a group, and
frequent edits of one message get throttled. :class:`Pacer` makes each call wait its
turn (per chat for sends, per message for edits) on the injected clock and sleep, so
tests run in no time. :func:`with_flood_retry` waits out ``retry_after`` and tries again:
a 429 means Telegram did not process the call, so repeating it cannot duplicate a
message.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.core.context import Clock, Sleep

log = logging.getLogger(__name__)

T = TypeVar("T")

GROUP_WINDOW_S: Final = 60.0
_PRUNE_AFTER: Final = 2048  # remembered chats/messages before old entries are dropped


class Pacer:
    def __init__(
        self,
        *,
        clock: Clock,
        sleep: Sleep,
        chat_interval_s: float = 1.0,
        group_per_minute: int = 20,
        edit_interval_s: float = 1.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._chat_interval = chat_interval_s
        self._group_per_minute = group_per_minute
        self._edit_interval = edit_interval_s
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        self._last: dict[tuple[int, int], float] = {}
        self._group_sends: dict[int, deque[float]] = {}

    async def before_send(self, chat_id: int) -> None:
        """Wait until a new message in ``chat_id`` is allowed, and count it."""
        key = (chat_id, 0)
        async with self._lock(key):
            wait = self._last.get(key, float("-inf")) + self._chat_interval - self._clock()
            window = self._group_sends.setdefault(chat_id, deque()) if chat_id < 0 else None
            if window is not None:
                _drop_older(window, self._clock() - GROUP_WINDOW_S)
                if len(window) >= self._group_per_minute:
                    wait = max(wait, window[0] + GROUP_WINDOW_S - self._clock())
            if wait > 0:
                await self._sleep(wait)
            now = self._clock()
            self._last[key] = now
            if window is not None:
                window.append(now)

    async def before_edit(self, chat_id: int, message_id: int) -> None:
        """Wait until message ``message_id`` may be edited again."""
        key = (chat_id, message_id)
        async with self._lock(key):
            wait = self._last.get(key, float("-inf")) + self._edit_interval - self._clock()
            if wait > 0:
                await self._sleep(wait)
            self._last[key] = self._clock()

    def _lock(self, key: tuple[int, int]) -> asyncio.Lock:
        if len(self._locks) > _PRUNE_AFTER:
            self._prune()
        return self._locks.setdefault(key, asyncio.Lock())

    def _prune(self) -> None:
        horizon = self._clock() - GROUP_WINDOW_S
        for key in [k for k, lock in self._locks.items() if not lock.locked()]:
            if self._last.get(key, float("-inf")) < horizon:
                self._locks.pop(key, None)
                self._last.pop(key, None)
        for chat_id in [c for c, w in self._group_sends.items() if not w or w[-1] < horizon]:
            del self._group_sends[chat_id]


def _drop_older(window: deque[float], horizon: float) -> None:
    while window and window[0] <= horizon:
        window.popleft()


def retry_after_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whichever type this PTB version hands out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = exc.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        return float(value)
    return 1.0


async def with_flood_retry(
    call: Callable[[], Awaitable[T]], *, sleep: Sleep, attempts: int = 5, what: str = "call"
) -> T:
    """Run ``call``; on a 429 wait the time Telegram asks for and run it again."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            if attempt == attempts:
                raise
            delay = retry_after_seconds(exc)
            log.info("Telegram flood control on %s: waiting %.0f s", what, delay)
            await sleep(delay)
    raise AssertionError("unreachable")
