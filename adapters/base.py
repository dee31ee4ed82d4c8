"""What every adapter implements and relies on.

The neutral values an adapter exchanges with the core (Invocation, Reply, Responder,
PlatformLimits...) live in :mod:`bot.core.models`. An adapter converts platform events
into invocations and button presses for a :class:`CoreHandler`, and a
:class:`~bot.core.models.Reply` into platform calls, raising
:class:`~bot.core.models.DeliveryError` when the platform refuses.

Each adapter package exposes one entry point of the shape :class:`BuildAdapter`:
``build(config, core, host)``. The composition root (``bot/app.py``) calls it for every
configured platform in its platform table; nothing else is passed to an adapter.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Protocol, TextIO, TypeVar, runtime_checkable

from bot.config import AppConfig
from bot.core.context import Clock, Sleep
from bot.core.dispatcher import CommandSpec
from bot.core.errors import StartupError
from bot.core.models import ButtonPress, ChatRef, Invocation, PlatformLimits, Responder, UserRef


class PlatformStartError(StartupError):
    """An adapter could not connect (bad token, platform unreachable...).

    Its message is shown to the operator as is: say what to check, never the token.
    """


class CoreHandler(Protocol):
    """The core as adapters see it (implemented by ``bot.core.dispatcher.Dispatcher``).

    ``commands`` is every command, for the platform's command menu (and the console's
    ``image=PATH``, which needs to know which options take files); ``choices`` a
    configuration-dependent choice list (``OptionSpec.choices_from``), for suggestions.
    ``handle`` and ``press`` answer through the responder and never raise, except on
    cancellation. ``locale_for`` is the language the core answers that user in (their
    /settings choice, the chat's, their platform locale, the default): adapters use it for
    their own texts so a user reads one language.
    """

    @property
    def commands(self) -> tuple[CommandSpec, ...]: ...

    def choices(self, name: str) -> tuple[str, ...]: ...

    async def locale_for(self, user: UserRef, chat: ChatRef) -> str: ...

    async def handle(self, invocation: Invocation, responder: Responder) -> None: ...

    async def press(self, press: ButtonPress, responder: Responder) -> None: ...


class Adapter(Protocol):
    """A running platform connection, started and stopped by the composition root."""

    name: str

    async def start(self) -> None:
        """Connect and begin delivering events to the core; return once running."""

    async def stop(self) -> None:
        """Stop receiving events and release the platform connection."""

    def responder_for(self, chat: ChatRef) -> Responder:
        """A responder for ``chat`` outside any event: the job tracker posts progress and
        results through it, also after a restart."""
        ...


@runtime_checkable
class SyncsCommands(Protocol):
    """An adapter whose platform registers commands only when asked (Discord rate-limits
    registration): ``relaybot run --sync-commands`` calls it once after start."""

    async def sync_commands(self) -> int:
        """Register the commands; returns how many."""
        ...


@dataclass(frozen=True, slots=True)
class Terminal:
    """The process's standard streams, for an adapter that talks on them (the console).

    ``jsonl`` prints one JSON object per message; files the bot sends are saved under
    ``media_dir``; ``limits`` replaces the console's defaults (a narrower terminal)."""

    stdin: TextIO
    stdout: TextIO
    media_dir: Path
    jsonl: bool = False
    limits: PlatformLimits | None = None


@dataclass(frozen=True, slots=True)
class Host:
    """What the process lends every adapter besides the config and the core.

    ``clock`` and ``sleep`` pace edits and retries (tests inject virtual time);
    ``terminal`` is set only where an adapter runs on the standard streams."""

    clock: Clock = field(default=time.monotonic)
    sleep: Sleep = field(default=asyncio.sleep)
    terminal: Terminal | None = None


class BuildAdapter(Protocol):
    """``build(config, core, host)``: the one entry point of every adapter package."""

    def __call__(self, config: AppConfig, core: CoreHandler, host: Host) -> Adapter: ...


K = TypeVar("K", bound=Hashable)


@dataclass(slots=True)
class _Question:
    answer: asyncio.Future[str | None]
    asked_in: str  # the message that asked ("" when the platform does not say)


class PendingAnswers(Generic[K]):
    """Questions waiting for a typed answer (``Responder.ask_text``), one per key.

    The key says who is asked where (a user in a chat); the adapter decides which
    message answers, then calls :meth:`answer`. A newer question to the same key
    replaces the older one, which then gets None.
    """

    def __init__(self) -> None:
        self._open: dict[K, _Question] = {}

    def asked_in(self, key: K) -> str | None:
        """The message that asked ``key``'s open question; None when nothing is asked."""
        question = self._open.get(key)
        if question is None or question.answer.done():
            return None
        return question.asked_in

    async def wait(self, key: K, timeout_s: float, *, asked_in: str = "") -> str | None:
        """The answer; None when cancelled, replaced by a newer question, or unanswered
        after ``timeout_s`` (real time: a person is typing)."""
        self.answer(key, None)
        question = _Question(asyncio.get_running_loop().create_future(), asked_in)
        self._open[key] = question
        try:
            async with asyncio.timeout(timeout_s):
                return await question.answer
        except TimeoutError:
            return None
        finally:
            if self._open.get(key) is question:
                del self._open[key]

    def answer(self, key: K, text: str | None) -> bool:
        """Give ``key``'s open question its answer (None cancels it); False when none."""
        question = self._open.pop(key, None)
        if question is None or question.answer.done():
            return False
        question.answer.set_result(text)
        return True

    def cancel_all(self) -> None:
        for question in self._open.values():
            if not question.answer.done():
                question.answer.set_result(None)
        self._open.clear()
