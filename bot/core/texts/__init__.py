"""The one catalogue of text users see.

Every message, button label, command and option description the core sends comes from
here, looked up by key with :func:`t`. English (:mod:`.en`) is the reference; every other
language (:mod:`.zh`, Simplified Chinese) has exactly the same keys with the same
``{placeholders}``, which the tests enforce. Placeholders use ``str.format`` names:
``t("error.rate_limited_retry", seconds=5)``.

A platform locale (``zh-CN``, ``zh_Hans``, ``zh-hans-cn``, ``en-US``…) becomes one of
:data:`LANGUAGES` with :func:`normalise_locale`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

from bot.core.texts.en import EN
from bot.core.texts.zh import ZH

DEFAULT_LOCALE: Final = "en"

CATALOGUES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType({
    "en": EN,
    "zh": ZH,
})
LANGUAGES: Final[tuple[str, ...]] = tuple(CATALOGUES)


def supported_locale(locale: str | None) -> str | None:
    """The catalogue language of a platform locale, or None when we have none for it.

    ``zh``, ``zh-CN``, ``zh-TW``, ``zh_Hans``, ``zh-hans-cn`` → ``zh``; ``en-US`` → ``en``.
    """
    if not locale:
        return None
    base = locale.strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in CATALOGUES else None


def normalise_locale(locale: str | None, default: str = DEFAULT_LOCALE) -> str:
    """:func:`supported_locale`, falling back to ``default`` (itself checked)."""
    return supported_locale(locale) or supported_locale(default) or DEFAULT_LOCALE


def t(key: str, locale: str | None = DEFAULT_LOCALE, /, **fmt: object) -> str:
    """The text for ``key`` in ``locale``, formatted with ``fmt``.

    An unknown key raises ``KeyError``: a missing text is a bug, caught by the tests.
    """
    catalogue = CATALOGUES[normalise_locale(locale)]
    template = catalogue.get(key)
    if template is None:
        template = EN[key]
    return template.format_map(fmt)


def or_list(items: Sequence[str], locale: str | None = DEFAULT_LOCALE, /) -> str:
    """``a, b or c`` / ``a、b或c``: alternatives as the reader's language lists them."""
    if len(items) < 2:
        return "".join(items)
    return t("list.sep", locale).join(items[:-1]) + t("list.or", locale) + items[-1]


def has_text(key: str) -> bool:
    return key in EN


def keys() -> frozenset[str]:
    return frozenset(EN)
