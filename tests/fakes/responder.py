"""A platform responder for core tests: it records every send and edit, and when."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from bot.core.models import MessageRef, PlatformLimits, Question, Reply
from tests.fakes.clock import SchedulingClock


def limits(max_text: int = 4000, edit_interval_s: float = 0.0) -> PlatformLimits:
    return PlatformLimits(
        max_text=max_text,
        max_caption=1024,
        max_buttons_per_row=5,
        max_rows=5,
        max_upload_bytes=10 * 1024 * 1024,
        edit_interval_s=edit_interval_s,
    )


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
    clock: SchedulingClock | None = None
    events: list[Event] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    _recorded: asyncio.Condition = field(default_factory=asyncio.Condition, repr=False)

    @property
    def limits(self) -> PlatformLimits:
        return self.platform_limits

    def _now(self) -> float:
        return self.clock() if self.clock is not None else 0.0

    async def send(self, reply: Reply) -> MessageRef:
        message_id = f"m{sum(1 for e in self.events if e.kind == 'send') + 1}"
        await self._record(Event("send", message_id, reply, self._now()))
        return MessageRef("chat", message_id)

    async def edit(self, ref: MessageRef, reply: Reply) -> None:
        await self._record(Event("edit", ref.message_id, reply, self._now()))

    async def _record(self, event: Event) -> None:
        async with self._recorded:
            self.events.append(event)
            self._recorded.notify_all()

    async def wait_until(self, done: Callable[[list[Event]], bool]) -> None:
        """Until ``done(events)`` holds (judged again after every send and edit)."""
        async with self._recorded:
            await self._recorded.wait_for(lambda: done(self.events))

    async def ask(self, question: Question) -> str | None:
        self.asked.append(question.prompt)
        return f"q{len(self.asked)}"

    @contextlib.asynccontextmanager
    async def typing(self) -> AsyncIterator[None]:
        yield

    def link_to(self, ref: MessageRef) -> str | None:
        return None

    def final_texts(self) -> dict[str, str]:
        """What each message shows at the end."""
        shown: dict[str, str] = {}
        for event in self.events:
            shown[event.message_id] = event.text
        return shown

    def sent_texts(self) -> list[str]:
        return [e.text for e in self.events if e.kind == "send"]
