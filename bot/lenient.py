"""Forgiving readers for decoded JSON: the one family every layer uses.

The relay fronts several upstreams whose field types drift (task ids as numbers or
strings, progress as ``"40%"`` or ``40``, timestamps as ``0`` or ``null`` when unset);
stored JSON (job requests and results, button payloads) may have been written by an older
version. Readers go through these helpers so one odd value degrades to a default instead
of failing a whole poll or a button press.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from typing import Final, cast

_NUMBER_IN_TEXT = re.compile(r"-?\d+(?:\.\d+)?")
# Progress arrives as a handful of short texts ("40%"), read on every poll of every task.
_SHORT_PERCENT: Final = 8


def as_dict(value: object) -> dict[str, object]:
    if isinstance(value, dict):
        return cast(dict[str, object], value)
    return {}


def as_list(value: object) -> list[object]:
    if isinstance(value, list):
        return cast(list[object], value)
    return []


def as_str(value: object, default: str = "") -> str:
    """Strings pass through; numbers become their decimal text; anything else → default."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return default


def opt_str(value: object) -> str | None:
    """A non-empty string, or None for missing / empty / non-text values."""
    text = as_str(value)
    return text or None


def as_int(value: object, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # JSON's Infinity / NaN (and 1e400) parse to floats int() cannot take.
        return int(value) if math.isfinite(value) else default
    if isinstance(value, str):
        match = _NUMBER_IN_TEXT.search(value)
        if match:
            return int(float(match.group()))
    return default


def opt_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_bool(value: object, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    if isinstance(value, int):
        return value != 0
    return default


def percent(value: object) -> int:
    """``"46%"`` / ``46`` / ``"46"`` / ``0.46``-free input → an int clamped to 0..100."""
    if isinstance(value, str) and len(value) <= _SHORT_PERCENT:
        return _percent_text(value)
    return max(0, min(100, as_int(value)))


@functools.lru_cache(maxsize=256)
def _percent_text(text: str) -> int:
    return max(0, min(100, as_int(text)))


def epoch_ms(value: object) -> int | None:
    """Epoch milliseconds; ``0`` / ``null`` mean "not reached yet" and become None."""
    number = as_int(value)
    return number if number > 0 else None


def first_present(data: Mapping[str, object], *keys: str) -> object:
    """The first key whose value is neither missing, None nor an empty string."""
    for key in keys:
        value = data.get(key)
        if value is not None and value != "":
            return value
    return None
