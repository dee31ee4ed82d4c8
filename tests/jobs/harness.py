"""A whole bot minus the platform: dispatcher + job tracker + SimRelay + SQLite file.

Time is a :class:`FakeClock` shared by the store, the tracker and the relay client's
retry sleeps, so polling intervals, throttles and deadlines pass instantly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp

from bot.commands import build_dispatcher
from bot.config import AppConfig, BotConfig, JobsConfig, LimitsConfig, RelayConfig, Secret
from bot.config_storage import StorageConfig
from bot.core.context import Services
from bot.core.dispatcher import Dispatcher
from bot.core.models import (
    Attachment,
    Button,
    ButtonPress,
    ChatRef,
    Invocation,
    MessageRef,
    PlatformLimits,
    Question,
    Reply,
    TypedAnswer,
    UserRef,
)
from bot.jobs.tracker import JobTracker
from bot.relay import RelayClient
from bot.sim import SimRelay
from bot.sim.media import make_png
from bot.store import open_store
from bot.store.base import Store
from tests.fakes.responder import Event
from tests.relay_sim import SIM_KEY

PLATFORM = "test"
CHAT = ChatRef(PLATFORM, "chat-1")
ALICE = UserRef("alice", "Alice")
BOB = UserRef("bob", "Bob")
START = 1_700_000_000.0


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@dataclass
class Recorder:
    """Every message of every chat, and the answers the user types to questions (in order;
    None cancels)."""

    clock: FakeClock
    events: list[Event] = field(default_factory=list)
    answers: list[str | None] = field(default_factory=list)
    asked: list[tuple[str, str]] = field(default_factory=list)  # (prompt, prefill)
    question_open: bool = False
    count: int = 0
    updated: asyncio.Condition = field(default_factory=asyncio.Condition)  # on every send

    def sent(self) -> list[Event]:
        return [e for e in self.events if e.kind == "send"]

    def edits_of(self, message_id: str) -> list[Event]:
        return [e for e in self.events if e.kind == "edit" and e.message_id == message_id]

    def texts(self) -> list[str]:
        return [e.reply.text for e in self.sent()]

    def last_with_buttons(self) -> Event:
        return next(e for e in reversed(self.sent()) if e.reply.buttons)

    def find_button(self, label: str, event: Event | None = None) -> tuple[str, Button]:
        candidates = [event] if event is not None else list(reversed(self.sent()))
        for sent in candidates:
            for row in sent.reply.buttons:
                for button in row:
                    if button.label == label:
                        return sent.message_id, button
        raise AssertionError(f"no button {label!r}")


class RecordingResponder:
    def __init__(self, recorder: Recorder, limits: PlatformLimits) -> None:
        self._recorder = recorder
        self._limits = limits

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    async def send(self, reply: Reply) -> MessageRef:
        self._recorder.count += 1
        message_id = f"m{self._recorder.count}"
        self._recorder.events.append(Event("send", message_id, reply, self._recorder.clock()))
        async with self._recorder.updated:
            self._recorder.updated.notify_all()
        return MessageRef(CHAT.chat_id, message_id)

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef | None:
        self._recorder.events.append(Event("edit", ref.message_id, reply, self._recorder.clock()))
        return None

    async def ask(self, question: Question) -> str | None:
        self._recorder.asked.append((question.prompt, question.prefill))
        self._recorder.question_open = True
        return f"q{len(self._recorder.asked)}"

    @contextlib.asynccontextmanager
    async def typing(self) -> AsyncIterator[None]:
        yield

    def link_to(self, ref: MessageRef) -> str | None:
        return None


class Outlet:
    def __init__(self, recorder: Recorder, limits: PlatformLimits) -> None:
        self.responder = RecordingResponder(recorder, limits)

    def responder_for(self, chat: ChatRef) -> RecordingResponder:
        return self.responder


def platform_limits() -> PlatformLimits:
    return PlatformLimits(max_text=4000, max_caption=1024, max_buttons_per_row=5, max_rows=5,
                          max_upload_bytes=20 * 1024 * 1024)


def image_attachment(data: bytes | None = None, *, name: str = "pic.png",
                     url: str | None = None) -> Attachment:
    payload = data if data is not None else make_png(32, 24, (200, 10, 10))

    async def reader(max_bytes: int) -> bytes:
        return payload

    return Attachment("image", name, "image/png", len(payload), reader, url=url)


@dataclass
class Bot:
    sim: SimRelay
    store: Store
    services: Services
    dispatcher: Dispatcher
    tracker: JobTracker
    clock: FakeClock
    recorder: Recorder
    outlet: Outlet

    async def command(self, text: str, *attachments: Attachment,
                      user: UserRef = ALICE) -> None:
        invocation = Invocation(user, CHAT, text=text, attachments=attachments)
        await self.dispatcher.handle(invocation, self.outlet.responder)
        await self.type_answers(user)

    async def press(self, label: str, *, user: UserRef = ALICE,
                    event: Event | None = None) -> None:
        message_id, button = self.recorder.find_button(label, event)
        press = ButtonPress(user, CHAT, button.key, MessageRef(CHAT.chat_id, message_id))
        await self.dispatcher.press(press, self.outlet.responder)
        await self.type_answers(user)

    async def answer(self, text: str, *, user: UserRef = ALICE) -> bool:
        """The user types ``text`` in the chat while a question may be pending."""
        self.recorder.question_open = False
        answer = TypedAnswer(user, CHAT, text, anywhere=True)
        return await self.dispatcher.answer(answer, self.outlet.responder)

    async def type_answers(self, user: UserRef = ALICE) -> None:
        """Answer each question asked with the next of ``recorder.answers``."""
        while self.recorder.question_open and self.recorder.answers:
            text = self.recorder.answers.pop(0)
            await self.answer("/cancel" if text is None else text, user=user)

    async def settle(self, max_ticks: int = 50) -> None:
        """Tick (advancing the clock by the poll interval) until nothing is left to do."""
        for _ in range(max_ticks):
            self.clock.now += self.services.config.relay.poll_interval_s
            await self.tracker.run_once()
            if not await self.store.list_active_jobs(limit=1) and not (
                await self.store.list_due_deliveries(limit=1)
            ):
                return
        raise AssertionError("jobs did not settle")


def make_config(base_url: str, db: Path, *, lease_s: float = 300.0, **bot: object
                ) -> AppConfig:
    return AppConfig(
        relay=RelayConfig(base_url=base_url, api_key=Secret(SIM_KEY), poll_interval_s=3.0),
        storage=StorageConfig(path=db),
        bot=replace(BotConfig(progress_interval_s=3.0), **bot),  # type: ignore[arg-type]
        # These tests start many jobs at once; the per-user limit has its own tests.
        limits=LimitsConfig(concurrent_jobs=0),
        jobs=JobsConfig(lease_s=lease_s),
    )


@contextlib.asynccontextmanager
async def open_bot(
    sim: SimRelay, db: Path, clock: FakeClock, recorder: Recorder | None = None,
    *, worker_id: str = "w1", lease_s: float = 300.0, **bot: object,
) -> AsyncIterator[Bot]:
    store = await open_store(StorageConfig(path=db), clock=clock)
    try:
        async with aiohttp.ClientSession() as http:
            config = make_config(sim.base_url, db, lease_s=lease_s, **bot)
            relay = RelayClient(http, base_url=sim.base_url, api_key=SIM_KEY, timeout_s=10.0,
                                sleep=clock.sleep)
            services = Services(config=config, store=store, relay=relay, http=http,
                                clock=clock, sleep=clock.sleep, wall_clock=clock)
            recorder = recorder or Recorder(clock)
            outlet = Outlet(recorder, platform_limits())
            tracker = JobTracker(services, {PLATFORM: outlet}, clock=clock, sleep=clock.sleep,
                                 worker_id=worker_id)
            try:
                yield Bot(sim, store, services, build_dispatcher(services), tracker, clock,
                          recorder, outlet)
            finally:
                await tracker.stop()
    finally:
        await store.close()
