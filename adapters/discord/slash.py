"""Slash commands generated from the core's command registry, and their sync.

Every :class:`~bot.core.dispatcher.CommandSpec` becomes an ``app_commands.Command``
(one with subcommands an ``app_commands.Group`` of them: ``/admin grant``) with typed
options: text, integer, number, boolean and attachment, ranges from
``minimum``/``maximum``, fixed choices (up to Discord's 25) and autocomplete for options
whose values depend on configuration (``choices_from``, ``suggest_from``) or that have
more than 25 choices. discord.py reads a callback's signature to learn its options, so each
command gets a generic callback with a synthesised ``__signature__``.

Descriptions and the names of fixed choices (``choice.<option>.<value>`` in the
catalogue; a value without a name shows as itself) are in the default locale, with
``description_localizations`` / ``name_localizations`` for every other catalogue
language (:class:`CatalogueTranslator`: ``zh`` for Discord's ``zh-CN`` and ``zh-TW``,
``en`` for ``en-US``/``en-GB`` when the default is another language).

Registration with Discord (:func:`sync_tree`) is explicit: ``relaybot sync-commands``
or ``run --sync-commands``, never on every start (it is rate limited and global
changes take up to an hour to show).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import discord
from discord import app_commands

from bot.core.dispatcher import CommandSpec
from bot.core.models import OptionValue
from bot.core.options import OptionSpec
from bot.core.texts import has_text, normalise_locale, supported_locale, t

CommandCallback = Callable[
    [discord.Interaction[Any], CommandSpec, Mapping[str, object], str | None], Awaitable[None]
]
"""Runs a command: the interaction, the (top-level) spec, the option values and the
subcommand chosen, if the command has subcommands."""
SlashCommand = app_commands.Command[Any, ..., None] | app_commands.Group
Suggester = Callable[
    [discord.Interaction[Any], str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]
ChoiceSource = Callable[[str], Sequence[str]]

MAX_CHOICES: Final = 25
_MAX_DESCRIPTION: Final = 100
_MAX_STRING_OPTION: Final = 6000
_TYPES: Final[Mapping[str, type]] = MappingProxyType(
    {"str": str, "int": int, "float": float, "bool": bool}
)
_RANGE: Any = app_commands.Range  # subscripted at run time with values, not types


def build_commands(
    specs: Sequence[CommandSpec],
    on_command: CommandCallback,
    choices: ChoiceSource,
    locale: str = "en",
) -> list[SlashCommand]:
    return [
        _group(spec, on_command, choices, locale) if spec.subcommands
        else _command(spec, on_command, choices, locale)
        for spec in specs
    ]


def _group(
    spec: CommandSpec, on_command: CommandCallback, choices: ChoiceSource, locale: str
) -> app_commands.Group:
    group = app_commands.Group(name=spec.name, description=_described(spec.description_key,
                                                                      locale))
    for sub in spec.subcommands:
        group.add_command(_command(sub, on_command, choices, locale, parent=spec))
    return group


def _command(
    spec: CommandSpec,
    on_command: CommandCallback,
    choices: ChoiceSource,
    locale: str,
    *,
    parent: CommandSpec | None = None,
) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction[Any], **values: object) -> None:
        if parent is None:
            await on_command(interaction, spec, values, None)
        else:
            await on_command(interaction, parent, values, spec.name)

    parameters = [
        inspect.Parameter(
            "interaction",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=discord.Interaction,
        )
    ]
    for option in spec.options:
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__name__ = spec.name
    callback.__qualname__ = spec.name
    descriptions = {
        o.name: _described(spec.option_key(o.name), locale) for o in spec.options
    }
    if descriptions:
        app_commands.describe(**descriptions)(callback)
    fixed = {
        o.name: [_choice(o.name, c, locale) for c in o.choices]
        for o in spec.options
        if o.choices and not _autocompleted(o)
    }
    if fixed:
        app_commands.choices(**fixed)(callback)
    suggest = {o.name: _suggester(o, choices) for o in spec.options if _autocompleted(o)}
    if suggest:
        app_commands.autocomplete(**suggest)(callback)
    return app_commands.Command(
        name=spec.name,
        description=_described(spec.description_key, locale),
        callback=callback,
    )


def _choice(option: str, value: str, locale: str) -> app_commands.Choice[str]:
    """A fixed choice shown by its catalogue name (``choice.<option>.<value>``, translated
    like descriptions) when it has one; the value sent back is always the raw one."""
    key = f"choice.{option}.{value}"
    if not has_text(key):
        return app_commands.Choice(name=value, value=value)
    return app_commands.Choice(name=_described(key, locale), value=value)


def _described(key: str, locale: str) -> app_commands.locale_str:
    """The description in ``locale``, carrying its catalogue key for the translator."""
    return app_commands.locale_str(_short(t(key, locale)), key=key, locale=locale)


class CatalogueTranslator(app_commands.Translator):
    """``description_localizations`` from the catalogue, for every Discord locale that is
    a catalogue language other than the one the description is written in."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key, written_in = string.extras.get("key"), string.extras.get("locale")
        language = supported_locale(locale.value)
        if not isinstance(key, str) or language is None:
            return None
        if language == normalise_locale(written_in if isinstance(written_in, str) else None):
            return None
        return _short(t(key, language))


def _annotation(option: OptionSpec) -> object:
    if option.type == "attachment":
        return discord.Attachment
    base = _TYPES[option.type]
    if option.type in ("int", "float") and (option.minimum, option.maximum) != (None, None):
        cast = int if option.type == "int" else float
        low = cast(option.minimum) if option.minimum is not None else None
        high = cast(option.maximum) if option.maximum is not None else None
        return _RANGE[base, low, high]
    if option.type == "str" and option.max_length is not None:
        return _RANGE[str, None, min(option.max_length, _MAX_STRING_OPTION)]
    return base


def _autocompleted(option: OptionSpec) -> bool:
    """Suggest rather than fix values that depend on configuration (``choices_from``,
    ``suggest_from``: chat models) and choice lists too long for Discord's menu."""
    if option.type != "str":
        return False
    return (
        option.choices_from is not None
        or option.suggest_from is not None
        or len(option.choices) > MAX_CHOICES
    )


def _suggester(option: OptionSpec, choices: ChoiceSource) -> Suggester:
    async def suggest(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        source = option.choices_from or option.suggest_from
        values = list(option.choices) or (list(choices(source)) if source else [])
        wanted = current.casefold().strip()
        matching = [v for v in values if wanted in v.casefold()] if wanted else values
        return [app_commands.Choice(name=v[:100], value=v) for v in matching[:MAX_CHOICES]]

    return suggest


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 1] + "…"


def option_value(value: object) -> object:
    """A choice's value rather than the choice (discord.py passes either)."""
    return value.value if isinstance(value, app_commands.Choice) else value


def core_options(
    values: Mapping[str, object], attachment: Callable[[discord.Attachment], OptionValue]
) -> dict[str, OptionValue]:
    """The options the user gave, as the core's values (attachments converted)."""
    options: dict[str, OptionValue] = {}
    for name, raw in values.items():
        value = option_value(raw)
        if value is None:
            continue
        if isinstance(value, discord.Attachment):
            options[name] = attachment(value)
        elif isinstance(value, str | int | float | bool):
            options[name] = value
    return options


async def sync_tree(tree: app_commands.CommandTree[Any], guild_ids: Sequence[int]) -> int:
    """Register the tree's commands: to each guild at once, else globally.

    Returns how many commands were registered (per scope)."""
    if tree.translator is None:
        await tree.set_translator(CatalogueTranslator())
    if not guild_ids:
        return len(await tree.sync())
    count = 0
    for guild_id in guild_ids:
        guild = discord.Object(id=guild_id)
        tree.copy_global_to(guild=guild)
        count = len(await tree.sync(guild=guild))
    return count
