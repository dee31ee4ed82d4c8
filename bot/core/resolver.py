"""Which handler an event runs: steps 1 and 2 of :mod:`bot.core.dispatcher`.

:class:`CommandResolver` finds the command of an :class:`~bot.core.models.Invocation`
(parsing ``/cmd args`` from text where the platform sends text, subcommands included) or
the first :class:`~bot.core.routes.MessageRoute` that accepts a plain message addressed to
the bot, and checks the input (:mod:`bot.core.options`) before anything costs money. It
raises :class:`~bot.core.errors.UserError` for unknown commands and bad input; the
dispatcher answers those like every other failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.context import Services
from bot.core.errors import UserError
from bot.core.gate import Guard
from bot.core.models import Invocation, OptionValue
from bot.core.options import (
    assign_attachments,
    parse_command,
    parse_text_options,
    parse_word_options,
    validate_options,
)
from bot.core.routes import CommandHandler, CommandSpec, MessageRoute


class CommandResolver:
    """The registered commands and message routes, and the lookup of an invocation in them."""

    def __init__(
        self,
        services: Services,
        commands: Mapping[str, CommandSpec],
        messages: Sequence[MessageRoute],
        choices: Mapping[str, Sequence[str]],
    ) -> None:
        """``commands``: indexed by name (:func:`~bot.core.routes.index_commands`);
        ``choices``: the configuration-dependent choice lists options are checked against."""
        self._services = services
        self._commands = commands
        self._messages = tuple(messages)
        self._choices = choices

    def metric_name(self, invocation: Invocation) -> str:
        """The command's name; "message" for plain messages; "unknown" for names we do
        not have (a bounded label set, whatever users type)."""
        name = invocation.command
        if name is None:
            parsed = parse_command(invocation.text)
            if parsed is None:
                return "message"
            name = parsed.name
        return name if name in self._commands else "unknown"

    def resolve(
        self, invocation: Invocation
    ) -> tuple[CommandHandler, dict[str, OptionValue], Guard] | None:
        """The handler, checked options and guard, or None when the event is not for us.

        Raises :class:`UserError` for unknown commands and bad input."""
        name = invocation.command
        raw: Mapping[str, OptionValue] = invocation.options
        sub_name = invocation.subcommand
        if name is None:
            parsed = parse_command(invocation.text)
            if parsed is None:
                route = self._message_route(invocation)
                if route is None:
                    return None
                return route.handler, {}, Guard(route.name, route.capability, route.price)
            name = parsed.name
            spec = self._commands.get(name)
            if spec is None:
                raise _unknown(name)
            if spec.subcommands:
                sub_name, _, rest = parsed.rest.strip().partition(" ")
                sub = spec.subcommand(sub_name.lower())
                raw = parse_word_options(rest, sub.options, sub.qualified_name) if sub else {}
            else:
                # A text platform may have read some options itself (the console's
                # image=file:PATH); those come in ``options``.
                raw = {**parse_text_options(parsed.rest, spec.options, spec.main, spec.name),
                       **invocation.options}
        spec = self._commands.get(name)
        if spec is None:
            raise _unknown(name)
        target = spec
        if spec.subcommands:
            found = spec.subcommand(sub_name.lower() if sub_name else None)
            if found is None:
                names = ", ".join(s.name for s in spec.subcommands)
                raise UserError("input.subcommand", command=spec.name, subcommands=names)
            target = found
        with_files = assign_attachments(target.options, raw, invocation.attachments)
        options = validate_options(
            target.qualified_name,
            target.options,
            with_files,
            default_max_length=self._services.config.bot.max_prompt_chars,
            dynamic_choices=self._choices,
        )
        return target.handler, options, spec.guard

    def _message_route(self, invocation: Invocation) -> MessageRoute | None:
        if not invocation.addressed_to_bot:
            return None
        return next((r for r in self._messages if r.accepts(invocation)), None)


def _unknown(name: str) -> UserError:
    return UserError("generic.unknown_command", command=name)
