"""Command option specs, text parsing and input checks.

Checks run before a command spends money: a missing or empty prompt, a prompt over the
limit, a number out of range, an unknown choice or a wrong/oversized attachment each
become a :class:`UserError` that says what was wrong and what is allowed.

Text form (console, Telegram)::

    /chat tell me a joke model=gpt-4o            → prompt="tell me a joke", model="gpt-4o"
    /persona text="You are a pirate"             → quoted values may hold spaces
    /similar a cat | a kitten                    → a="a cat", b="a kitten"

Only names of the command's own options are read as ``name=value``; any other ``x=1``
stays part of the free text.
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

OptionType = Literal["str", "int", "float", "bool", "attachment"]

_TRUE: Final = frozenset({"yes", "y", "true", "on", "1"})
_FALSE: Final = frozenset({"no", "n", "false", "off", "0"})
_COMMAND_RE: Final = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@\S+)?(?:\s+|$)")


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

    def usage(self) -> str:
        placeholder = "file" if self.type == "attachment" else "…"
        return f"<{self.name}>" if self.required else f"[{self.name}={placeholder}]"


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
    never dropped."""
    values: dict[str, OptionValue] = {}
    by_name = {s.name.lower(): s for s in specs if s.type != "attachment"}
    if by_name:
        pattern = re.compile(
            r"(?:(?<=\s)|^)(?P<name>" + "|".join(map(re.escape, by_name)) + r")=",
            re.IGNORECASE,
        )
        found = list(pattern.finditer(text))
        leftovers = [text[: found[0].start()]] if found else [text]
        for index, match in enumerate(found):
            end = found[index + 1].start() if index + 1 < len(found) else len(text)
            spec = by_name[match["name"].lower()]
            value, rest = _option_value(text[match.end() : end], spec)
            values[spec.name] = value
            leftovers.append(rest)
        text = " ".join(part.strip() for part in leftovers if part.strip())
    text = text.strip()
    if not main or not text:
        return values
    if len(main) == 1:
        if main[0] in values:
            raise UserError("input.extra_text", text=text, option=main[0])
        values[main[0]] = text
        return values
    if "|" not in text:
        usage = f"/{command} " + " | ".join(f"<{name}>" for name in main)
        raise UserError("input.no_split", usage=usage.strip())
    parts = [p.strip() for p in text.split("|", len(main) - 1)]
    for name, part in zip(main, parts, strict=False):
        values.setdefault(name, part)
    return values


def _option_value(region: str, spec: OptionSpec) -> tuple[str, str]:
    """The value at the start of ``region`` and what is left of it."""
    quote = region[:1]
    if quote in ("\"", "'") and quote in region[1:]:
        closing = region.index(quote, 1)
        return region[1:closing], region[closing + 1 :]
    if spec.type == "str" and not spec.choices and spec.choices_from is None:
        return region.strip(), ""
    word, _, rest = region.strip().partition(" ")
    return word, rest


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
    usage = "/" + " ".join([command, *(s.usage() for s in specs)])
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


def _missing(spec: OptionSpec, usage: str) -> None:
    if spec.type == "attachment":
        if not spec.kinds:
            raise UserError("input.attachment_missing_any", option=spec.name)
        raise UserError("input.attachment_missing", option=spec.name,
                        what=AttachmentKinds.of(spec.kinds))
    raise UserError("input.missing", option=spec.name, usage=usage)


def _convert(
    spec: OptionSpec,
    raw: OptionValue,
    usage: str,
    default_max_length: int,
    dynamic_choices: Mapping[str, Sequence[str]],
) -> OptionValue | None:
    if spec.type == "attachment":
        if not isinstance(raw, Attachment):
            raise UserError("input.attachment_missing_any", option=spec.name)
        return _check_attachment(spec, raw)
    if isinstance(raw, Attachment):
        raise UserError("input.missing", option=spec.name, usage=usage)
    if spec.type == "str":
        return _check_text(spec, str(raw), usage, default_max_length, dynamic_choices)
    if spec.type == "bool":
        return _to_bool(spec, raw)
    return _check_number(spec, raw)


def _check_text(
    spec: OptionSpec,
    raw: str,
    usage: str,
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
