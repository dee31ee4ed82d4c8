"""Command option specs, text parsing and input checks.

Checks run before a command spends money: a missing or empty prompt, a prompt over the
limit, a number out of range, an unknown choice or a wrong/oversized attachment each
become a :class:`UserError` that says what was wrong and what is allowed.

Text form (console, Telegram)::

    /chat tell me a joke model=gpt-4o            → prompt="tell me a joke", model="gpt-4o"
    /persona text="You are a pirate"             → quoted values may hold spaces
    /similar a cat | a kitten                    → a="a cat", b="a kitten"

A lowercase word of two or more letters directly followed by ``=`` is an option: one the
command does not have is refused (``input.unknown_option_text``) before anything is paid
for. ``\\=`` writes a literal ``=`` (``/chat why is count\\=0 falsy``); ``a=b``,
``E=mc²``, URLs with ``?q=1`` and ``--ar 16:9`` stay text as they are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from bot.core.errors import AttachmentKinds, UserError
from bot.core.models import Attachment, AttachmentKind, OptionValue
from bot.core.render import format_size
from bot.core.texts import DEFAULT_LOCALE, t

OptionType = Literal["str", "int", "float", "bool", "attachment"]

_TRUE: Final = frozenset({"yes", "y", "true", "on", "1"})
_FALSE: Final = frozenset({"no", "n", "false", "off", "0"})
_COMMAND_RE: Final = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@\S+)?(?:\s+|$)")
# ``name=`` at the start of a word; ``name\=`` (escaped), ``==`` and ``=>`` are no option.
_OPTION_RE: Final = re.compile(r"(?:(?<=\s)|^)(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?![=>])")
_UNKNOWN_OPTION_RE: Final = re.compile(r"[a-z][a-z0-9_]+")


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option of a command. Its description is the catalogue text ``cmd.<command>.<name>``.

    ``max_length`` None on a text option means the configured prompt limit applies.
    ``choices_from`` names a list the dispatcher is given at start (e.g. ``"chat_models"``
    from the config), for choices that depend on configuration. ``suggest_from`` names
    such a list as suggestions only: platforms that complete as you type offer it, any
    value is accepted (a model id not in the list).
    """

    name: str
    type: OptionType = "str"
    required: bool = False
    choices: tuple[str, ...] = ()
    choices_from: str | None = None
    suggest_from: str | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    kinds: tuple[AttachmentKind, ...] = ()
    max_bytes: int | None = None

    def usage(self, locale: str = DEFAULT_LOCALE) -> str:
        """``<提示词>`` / ``[image=文件]``: the name stays as typed, placeholders are
        words of the reader's language."""
        if self.required:
            return f"<{placeholder(self.name, locale)}>"
        value = t("usage.file", locale) if self.type == "attachment" else "…"
        return f"[{self.name}={value}]"


def placeholder(option: str, locale: str = DEFAULT_LOCALE) -> str:
    """What stands for an option's value where its name is not typed (``<prompt>``):
    the catalogue text ``usage.<option>``."""
    return t(f"usage.{option}", locale)


@dataclass(frozen=True, slots=True)
class Usage:
    """How a command is typed, for a :class:`UserError` value: rendered in the reader's
    language when the answer is written (``/chat <提示词> [model=…] [image=文件]``)."""

    command: str
    specs: tuple[OptionSpec, ...] = ()
    split: tuple[str, ...] = ()  # main options typed as ``<a> | <b>``

    def render(self, locale: str) -> str:
        if self.split:
            parts = " | ".join(f"<{placeholder(name, locale)}>" for name in self.split)
        else:
            parts = " ".join(spec.usage(locale) for spec in self.specs)
        return f"/{self.command} {parts}".strip()


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str
    rest: str


def parse_command(text: str) -> ParsedCommand | None:
    """``/Cmd@bot args`` → (``cmd``, ``args``); None when ``text`` is not a command."""
    match = _COMMAND_RE.match(text.lstrip())
    if match is None:
        return None
    return ParsedCommand(match["name"].lower(), text.lstrip()[match.end():].strip())


def parse_text_options(
    text: str, specs: Sequence[OptionSpec], main: Sequence[str], command: str = ""
) -> dict[str, OptionValue]:
    """Split free text into ``name=value`` options and the main option(s).

    A free-text option (a string without choices) takes everything up to the next
    ``name=``, so ``/music prompt=a song about rain tags=pop`` needs no quotes; other
    options take one word. Quotes keep a value exactly. With two or more main options
    the free text must contain ``|`` between them. Text that fits nowhere is refused,
    never dropped, and so is an unknown option (see :func:`_next_option`); ``\\=`` is a
    literal ``=``."""
    by_name = {s.name.lower(): s for s in specs}
    values: dict[str, OptionValue] = {}
    leftovers: list[str] = []
    collecting: OptionSpec | None = None  # a free-text option runs to the next option
    position = 0
    while True:
        match = _next_option(text, position, by_name, command)
        region = text[position : match.start() if match is not None else len(text)]
        if collecting is not None:
            values[collecting.name] = _unescape(region.strip())
        else:
            leftovers.append(region)
        collecting = None
        if match is None:
            break
        spec = by_name[match["name"].lower()]
        value, position = _option_value(text, match.end(), spec)
        if value is None:
            collecting, position = spec, match.end()
        else:
            values[spec.name] = value
    rest = _unescape(" ".join(part.strip() for part in leftovers if part.strip()))
    if not main or not rest:
        return values
    if len(main) == 1:
        if main[0] in values:
            raise UserError("input.extra_text", text=rest, option=main[0])
        values[main[0]] = rest
        return values
    if "|" not in rest:
        raise UserError("input.no_split", usage=Usage(command, split=tuple(main)))
    parts = [p.strip() for p in rest.split("|", len(main) - 1)]
    for name, part in zip(main, parts, strict=False):
        values.setdefault(name, part)
    return values


def _next_option(
    text: str, start: int, by_name: Mapping[str, OptionSpec], command: str
) -> re.Match[str] | None:
    """The next ``name=`` of a known option at or after ``start``.

    A word that starts after a space or the start and is a lowercase identifier of two
    or more characters directly followed by ``=`` (not ``==`` or ``=>``) is read as an
    option: an unknown one is refused, so a mistyped ``modle=gpt-4o`` never ends up in a
    prompt that is paid for. Everything else stays text: ``a=b``, ``E=mc²``,
    ``https://x.test/?q=1&lang=en``, ``--ar 16:9``, ``x == y``; ``name\\=`` escapes it.
    """
    for match in _OPTION_RE.finditer(text, start):
        name = match["name"]
        if name.lower() in by_name:
            return match
        if _UNKNOWN_OPTION_RE.fullmatch(name):
            allowed = ", ".join(f"{spec.name}=" for spec in by_name.values()) or "—"
            raise UserError("input.unknown_option_text", command=command, option=name,
                            allowed=allowed)
    return None


def _unescape(text: str) -> str:
    return text.replace("\\=", "=")


def _option_value(text: str, start: int, spec: OptionSpec) -> tuple[str | None, int]:
    """The value starting at ``start`` and where the text after it goes on.

    None for an unquoted free-text option, whose value runs to the next option."""
    quote = text[start : start + 1]
    if quote in ("\"", "'") and quote in text[start + 1 :]:
        closing = text.index(quote, start + 1)
        return text[start + 1 : closing], closing + 1
    if spec.type == "str" and not spec.choices and spec.choices_from is None:
        return None, start
    word = re.match(r"\S*", text[start:])
    end = start + (word.end() if word is not None else 0)
    return _unescape(text[start:end]), end


def assign_attachments(
    specs: Sequence[OptionSpec],
    values: Mapping[str, OptionValue],
    attachments: Sequence[Attachment],
) -> dict[str, OptionValue]:
    """Give each attachment option without a value the first fitting unused attachment.

    A required option gets the first unused attachment even when its kind is wrong, so
    the check can say "must be an image, but you sent audio" instead of "missing".
    """
    result = dict(values)
    unused = [a for a in attachments if a not in values.values()]
    for spec in specs:
        if spec.type != "attachment" or spec.name in result or not unused:
            continue
        fitting = [a for a in unused if not spec.kinds or a.kind in spec.kinds]
        chosen = fitting[0] if fitting else (unused[0] if spec.required else None)
        if chosen is not None:
            result[spec.name] = chosen
            unused.remove(chosen)
    return result


def parse_word_options(
    text: str, specs: Sequence[OptionSpec], command: str = ""
) -> dict[str, OptionValue]:
    """Subcommand arguments: one word per option, in order, or ``name=value`` words
    (``/admin grant telegram:42 50``, ``/admin stats days=30``)."""
    values: dict[str, OptionValue] = {}
    fillable = [s for s in specs if s.type != "attachment"]
    by_name = {s.name.lower(): s for s in fillable}
    for word in text.split():
        name, equals, value = word.partition("=")
        if equals and name.lower() in by_name:
            values[by_name[name.lower()].name] = value
            continue
        free = next((s for s in fillable if s.name not in values), None)
        if free is None:
            last = fillable[-1].name if fillable else command
            raise UserError("input.extra_text", text=word, option=last)
        values[free.name] = word
    return values


def validate_options(
    command: str,
    specs: Sequence[OptionSpec],
    values: Mapping[str, OptionValue],
    *,
    default_max_length: int,
    dynamic_choices: Mapping[str, Sequence[str]],
) -> dict[str, OptionValue]:
    """Check and convert raw values; raise :class:`UserError` on the first problem."""
    known = {s.name for s in specs}
    for name in values:
        if name not in known:
            allowed = ", ".join(sorted(known)) or "—"
            raise UserError("input.unknown_option", command=command, option=name, allowed=allowed)
    usage = Usage(command, tuple(specs))
    checked: dict[str, OptionValue] = {}
    for spec in specs:
        raw = values.get(spec.name)
        if raw is None or (isinstance(raw, str) and not raw.strip() and spec.type != "str"):
            if spec.required:
                _missing(spec, usage)
            continue
        value = _convert(spec, raw, usage, default_max_length, dynamic_choices)
        if value is not None:
            checked[spec.name] = value
    return checked


def _missing(spec: OptionSpec, usage: Usage) -> None:
    if spec.type == "attachment":
        if not spec.kinds:
            raise UserError("input.attachment_missing_any", option=spec.name)
        raise UserError("input.attachment_missing", option=spec.name,
                        what=AttachmentKinds.of(spec.kinds))
    raise UserError("input.missing", option=spec.name, usage=usage)


def _convert(
    spec: OptionSpec,
    raw: OptionValue,
    usage: Usage,
    default_max_length: int,
    dynamic_choices: Mapping[str, Sequence[str]],
) -> OptionValue | None:
    if spec.type == "attachment":
        if isinstance(raw, str):  # image=cat.png typed where files are sent, not named
            raise UserError("input.attachment_as_text", option=spec.name, value=raw)
        if not isinstance(raw, Attachment):
            raise UserError("input.attachment_missing_any", option=spec.name)
        return _check_attachment(spec, raw)
    if isinstance(raw, Attachment):
        raise UserError("input.file_for_text_option", option=spec.name, filename=raw.filename)
    if spec.type == "str":
        return _check_text(spec, str(raw), usage, default_max_length, dynamic_choices)
    if spec.type == "bool":
        return _to_bool(spec, raw)
    return _check_number(spec, raw)


def _check_text(
    spec: OptionSpec,
    raw: str,
    usage: Usage,
    default_max_length: int,
    dynamic_choices: Mapping[str, Sequence[str]],
) -> str | None:
    text = raw.strip()
    if not text:
        if spec.required:
            raise UserError("input.empty", option=spec.name, usage=usage)
        return None
    limit = spec.max_length if spec.max_length is not None else default_max_length
    if len(text) > limit:
        raise UserError("input.too_long", option=spec.name, length=len(text), limit=limit)
    choices = list(spec.choices)
    if spec.choices_from is not None:
        choices.extend(dynamic_choices.get(spec.choices_from, ()))
    if choices:
        by_fold = {c.casefold(): c for c in choices}
        if text.casefold() not in by_fold:
            allowed = ", ".join(choices)
            raise UserError("input.unknown_choice", option=spec.name, value=text, allowed=allowed)
        return by_fold[text.casefold()]
    return text


def _to_bool(spec: OptionSpec, raw: str | int | float | bool) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise UserError("input.not_a_bool", option=spec.name, value=raw)


def _check_number(spec: OptionSpec, raw: str | int | float | bool) -> int | float:
    number: int | float
    if isinstance(raw, bool):
        raise UserError("input.not_a_number", option=spec.name, value=raw)
    if isinstance(raw, int | float):
        number = raw
    else:
        try:
            number = float(raw.strip()) if spec.type == "float" else int(raw.strip())
        except ValueError:
            key = "input.not_a_number" if spec.type == "float" else "input.not_an_integer"
            raise UserError(key, option=spec.name, value=raw) from None
    if not math.isfinite(number):  # "nan" passes every range check and is invalid JSON
        raise UserError("input.not_a_number", option=spec.name, value=raw)
    if spec.type == "int" and isinstance(number, float):
        if not number.is_integer():
            raise UserError("input.not_an_integer", option=spec.name, value=raw)
        number = int(number)
    if spec.minimum is not None and number < spec.minimum:
        raise UserError("input.too_small", option=spec.name, minimum=f"{spec.minimum:g}")
    if spec.maximum is not None and number > spec.maximum:
        raise UserError("input.too_big", option=spec.name, maximum=f"{spec.maximum:g}")
    return number


def _check_attachment(spec: OptionSpec, attachment: Attachment) -> Attachment:
    if spec.kinds and attachment.kind not in spec.kinds:
        raise UserError(
            "input.attachment_kind", option=spec.name, allowed=AttachmentKinds.of(spec.kinds),
            got=AttachmentKinds.of((attachment.kind,)),
        )
    if (
        spec.max_bytes is not None
        and attachment.size is not None
        and attachment.size > spec.max_bytes
    ):
        raise UserError(
            "input.attachment_too_large",
            filename=attachment.filename,
            size=format_size(attachment.size),
            limit=format_size(spec.max_bytes),
        )
    return attachment
