"""Test doubles for the core: a recording responder and a clock tests drive."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.core.models import MessageRef, PlatformLimits, Reply

T = TypeVar("T")


def limits(max_text: int = 4000, edit_interval_s: float = 0.0) -> PlatformLimits:
    return PlatformLimits(
        max_text=max_text,
        max_caption=1024,
        max_buttons_per_row=5,
        max_rows=5,
        max_upload_bytes=10 * 1024 * 1024,
        edit_interval_s=edit_interval_s,
    )


class FakeClock:
    """Virtual time: ``clock()`` reads it, ``await clock.sleep(s)`` waits for it.

    ``await clock.run(coro)`` drives the coroutine: whenever every task is waiting, time
    jumps to the earliest sleeper's wake-up time. No real time passes.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._count = 0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._count += 1
        heapq.heappush(self._sleepers, (self.now + seconds, self._count, future))
        await future

    async def run(self, coro: Awaitable[T]) -> T:
        task = asyncio.ensure_future(coro)
        while not task.done():
            for _ in range(20):
                await asyncio.sleep(0)
            if task.done() or not self._sleepers:
                continue
            wake_at, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake_at)
            if not future.done():
                future.set_result(None)
        return task.result()


@dataclass
class Event:
    kind: str  # "send" | "edit"
    message_id: str
    reply: Reply
    at: float

    @property
    def text(self) -> str:
        return self.reply.text


@dataclass
class RecordingResponder:
    """A responder that remembers every send and edit (and when it happened)."""

    platform_limits: PlatformLimits = field(default_factory=limits)
    clock: FakeClock | None = None
    answers: list[str | None] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    @property
    def limits(self) -> PlatformLimits:
        return self.platform_limits

    def _now(self) -> float:
        return self.clock() if self.clock is not None else 0.0

    async def send(self, reply: Reply) -> MessageRef:
        message_id = f"m{sum(1 for e in self.events if e.kind == 'send') + 1}"
        self.events.append(Event("send", message_id, reply, self._now()))
        return MessageRef("chat", message_id)

    async def edit(self, ref: MessageRef, reply: Reply) -> None:
        self.events.append(Event("edit", ref.message_id, reply, self._now()))

    async def ask_text(self, prompt: str, *, prefill: str = "") -> str | None:
        self.asked.append(prompt)
        return self.answers.pop(0) if self.answers else None

    @contextlib.asynccontextmanager
    async def typing(self) -> AsyncIterator[None]:
        yield

    def final_texts(self) -> dict[str, str]:
        """What each message shows at the end."""
        shown: dict[str, str] = {}
        for event in self.events:
            shown[event.message_id] = event.text
        return shown

    def sent_texts(self) -> list[str]:
        return [e.text for e in self.events if e.kind == "send"]
