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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO, runtime_checkable

from bot.config import AppConfig
from bot.core.context import Clock, Sleep
from bot.core.dispatcher import CommandSpec
from bot.core.errors import StartupError
from bot.core.models import (
    ButtonPress,
    ChatRef,
    Invocation,
    PlatformLimits,
    Preferences,
    Responder,
    TypedAnswer,
    UserRef,
)


class PlatformStartError(StartupError):
    """An adapter could not connect (bad token, platform unreachable...).

    Its message is shown to the operator as is: say what to check, never the token.
    """


class CoreHandler(Protocol):
    """The core as adapters see it (implemented by ``bot.core.dispatcher.Dispatcher``).

    ``commands`` is every command, for the platform's command menu (and the console's
    ``image=PATH``, which needs to know which options take files); ``choices`` a
    configuration-dependent choice list (``OptionSpec.choices_from``), for suggestions.
    ``handle``, ``press`` and ``answer`` answer through the responder and never raise,
    except on cancellation. Questions live in the store, not in the adapter: whichever
    process receives the answer, also after a restart, ``answer`` continues the command.
    ``preferences_for`` reads the user's settings and the language the core answers them
    in (their /settings choice, the chat's, their platform locale, the default): adapters
    use its ``locale`` for their own texts so a user reads one language, and put them on
    the ``Invocation`` / ``ButtonPress`` / ``TypedAnswer`` so the core does not read them
    again (they carry the event's other reads too: its pending question, access rules and
    allowance, fetched in the same trip; with ``chat_turn``, for a message that will most
    likely be a chat turn, its conversation and history too); ``locale_for`` is only the
    language, for texts outside an event.
    """

    @property
    def commands(self) -> tuple[CommandSpec, ...]: ...

    def choices(self, name: str) -> tuple[str, ...]: ...

    async def preferences_for(
        self, user: UserRef, chat: ChatRef, *, chat_turn: bool = False
    ) -> Preferences: ...

    async def locale_for(self, user: UserRef, chat: ChatRef) -> str: ...

    async def handle(self, invocation: Invocation, responder: Responder) -> None: ...

    async def press(self, press: ButtonPress, responder: Responder) -> None: ...

    async def answer(self, answer: TypedAnswer, responder: Responder) -> bool:
        """Give text that may answer a pending question (``Responder.ask``) to it; False
        when it is no answer and the adapter handles it as a message as usual."""
        ...


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
