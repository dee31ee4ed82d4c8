"""The command registry: what a feature declares for the dispatcher to route to.

Each ``bot/commands/<feature>.py`` exposes tuples of :class:`CommandSpec` (slash and
``/text`` commands), :class:`MessageRoute` (plain messages addressed to the bot),
:class:`ButtonRoute` (presses of stored buttons) and :class:`QuestionRoute` (answers to
questions a command asked); the composition root hands them to
:class:`bot.core.dispatcher.Dispatcher`, which checks them with :func:`index_commands`.
They live apart from the dispatcher because features and adapters need only the
declarations, not the path an event takes.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from bot.core.context import AnswerContext, ButtonContext, CommandContext
from bot.core.gate import Guard, Price
from bot.core.models import Invocation
from bot.core.options import OptionSpec, placeholder
from bot.core.texts import DEFAULT_LOCALE, has_text

CommandHandler = Callable[[CommandContext], Awaitable[None]]
ButtonHandler = Callable[[ButtonContext], Awaitable[None]]
AnswerHandler = Callable[[AnswerContext], Awaitable[None]]
Next = Callable[[], Awaitable[None]]
# Runs a press between the access checks and the reservation: ``proceed`` reserves, runs
# the handler and settles (see ButtonRoute.claim).
PressClaim = Callable[[ButtonContext, Next], Awaitable[None]]

_NAME_RE: Final = re.compile(r"^[a-z0-9_]{1,32}$")  # Discord's and Telegram's rule

AnswerHint = Literal["text", "image", "speech", "music", "video"]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command. Its texts live in the catalogue: ``cmd.<name>`` is the one-line
    description (``/help``, platform menus) and ``cmd.<name>.<option>`` describes each
    option. ``main`` names the option(s) free text goes to; with two or more, the text
    is split at ``|`` (``/similar a | b``).

    The hints tell adapters how to present the command without knowing its name:
    ``answer`` is what the answer mostly is (Telegram shows "sending photo…",
    "recording voice…" while it runs); ``conversation`` marks a turn of a conversation
    (Discord opens a thread for it when ``thread_per_conversation`` is on, named after
    the main text)."""

    name: str
    handler: CommandHandler
    options: tuple[OptionSpec, ...] = ()
    main: tuple[str, ...] = ()
    answer: AnswerHint = "text"
    conversation: bool = False
    capability: str | None = None  # what [access.only] and statistics count it as
    price: Price | None = None  # None: free
    admin: bool = False  # only [access] admins may run it
    # A command made of subcommands (``/admin grant <who> <credits>``): each is a
    # CommandSpec with ``parent`` set; the parent's handler is not used then. Typed as text
    # ``/admin grant telegram:42 50``: one word per option, in order.
    subcommands: tuple[CommandSpec, ...] = ()
    parent: str = ""

    @property
    def guard(self) -> Guard:
        return Guard(f"/{self.name}", self.capability, self.price, self.admin,
                     count_submitting=True)

    @property
    def qualified_name(self) -> str:
        return f"{self.parent} {self.name}" if self.parent else self.name

    @property
    def description_key(self) -> str:
        return f"cmd.{self.qualified_name.replace(' ', '.')}"

    def option_key(self, option: str) -> str:
        return f"{self.description_key}.{option}"

    def subcommand(self, name: str | None) -> CommandSpec | None:
        return next((s for s in self.subcommands if s.name == name), None)

    def usage(self, locale: str = DEFAULT_LOCALE) -> str:
        """``<prompt> [model=…]``, ``<a> | <b>``: main text options come first, without
        their name, separated by ``|`` as they are typed; subcommands as ``a|b|c``.
        Placeholders are words of ``locale`` (``<提示词> [image=文件]``); option and
        subcommand names stay as they are typed."""
        if self.subcommands:
            return "|".join(s.name for s in self.subcommands) + " …"

        def bare(o: OptionSpec) -> str:
            word = placeholder(o.name, locale)
            return f"<{word}>" if o.required else f"[{word}]"

        if self.parent:
            return " ".join(bare(o) for o in self.options)
        main = [bare(o) for o in self.options if o.name in self.main and o.type != "attachment"]
        rest = [
            o.usage(locale)
            for o in self.options
            if o.name not in self.main or o.type == "attachment"
        ]
        return " ".join(part for part in (" | ".join(main), *rest) if part)


@dataclass(frozen=True, slots=True)
class MessageRoute:
    """Handles plain messages addressed to the bot (private chat, mention or reply).

    Routes are tried in order; the first whose ``accepts`` is true handles the message
    (e.g. voice messages → transcribe-then-chat before text → chat)."""

    name: str
    accepts: Callable[[Invocation], bool]
    handler: CommandHandler
    capability: str | None = None
    price: Price | None = None


@dataclass(frozen=True, slots=True)
class ButtonRoute:
    """Handles presses of stored buttons whose ``ButtonKey.kind`` is ``kind``."""

    kind: str
    handler: ButtonHandler
    capability: str | None = None
    price: Price | None = None
    # Taken after the access checks and before anything is reserved (the one-press claim,
    # bot.commands.presses.once_per_button): a repeated press is answered by it without
    # reaching the credits or limits, and a refused user never holds the button.
    claim: PressClaim | None = None


@dataclass(frozen=True, slots=True)
class QuestionRoute:
    """Continues a command when the answer to a question of ``kind`` arrives
    (``ctx.ask(kind, ...)``): the continuation registry, as ``ButtonRoute`` is for
    buttons. The question lives in the store, so the answer may come to another process
    or after a restart; the handler gets only what the asker stored with it."""

    kind: str
    handler: AnswerHandler
    # An answer that starts paid work passes the gate like a command (a remix prompt).
    capability: str | None = None
    price: Price | None = None


def index_commands(commands: Sequence[CommandSpec]) -> dict[str, CommandSpec]:
    """Refuse duplicate or invalid names and commands without catalogue texts."""
    index: dict[str, CommandSpec] = {}
    for spec in commands:
        if spec.name in index:
            raise ValueError(f"command /{spec.name} registered twice")
        _check_spec(spec)
        for sub in spec.subcommands:
            if sub.parent != spec.name:
                raise ValueError(f"/{spec.name} {sub.name}: its parent must be {spec.name!r}")
        index_commands(spec.subcommands)
        index[spec.name] = spec
    return index


def _check_spec(spec: CommandSpec) -> None:
    if not _NAME_RE.match(spec.name):
        raise ValueError(f"invalid command name {spec.name!r}")
    names = {o.name for o in spec.options}
    missing = [m for m in spec.main if m not in names]
    if missing:
        raise ValueError(f"/{spec.qualified_name}: main option(s) {missing} are not options")
    keys = [spec.description_key, *(spec.option_key(o.name) for o in spec.options)]
    absent = [k for k in keys if not has_text(k)]
    if absent:
        raise ValueError(f"/{spec.qualified_name}: texts missing from the catalogue: {absent}")
