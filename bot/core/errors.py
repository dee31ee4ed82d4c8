"""Errors the core raises on purpose.

A :class:`UserError` is a problem the user can fix (empty prompt, unknown model, wrong
file type); the dispatcher answers it with the catalogue text for ``key``. Anything else
that escapes a command is mapped in :mod:`bot.core.failures`. A :class:`StartupError` is
a problem the operator must fix before the bot can run; ``relaybot run`` prints its
message as one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.core.texts import or_list, t


@runtime_checkable
class Localised(Protocol):
    """A :class:`UserError` value written in the reader's language when it is answered."""

    def render(self, locale: str) -> str: ...


@dataclass(frozen=True, slots=True)
class AttachmentKinds:
    """Attachment kinds as words of the reader's language ("image or audio", "图片或音频"),
    for a :class:`UserError` value: the language is known only when it is answered."""

    kinds: tuple[str, ...]

    @classmethod
    def of(cls, kinds: Sequence[str]) -> AttachmentKinds:
        return cls(tuple(kinds))

    def render(self, locale: str) -> str:
        return or_list([t(f"kind.{kind}", locale) for kind in self.kinds], locale)


@dataclass(frozen=True, slots=True)
class CatalogueWord:
    """A catalogue text used as a :class:`UserError` value ("video" / "视频")."""

    key: str

    def render(self, locale: str) -> str:
        return t(self.key, locale)


class UserError(Exception):
    """Answer the user with ``t(key, **fmt)`` and stop the command.

    A value with a ``render(locale)`` method (:class:`Localised`) is rendered in the
    reader's language when the answer is written."""

    def __init__(self, key: str, /, **fmt: object) -> None:
        super().__init__(key)
        self.key = key
        self.fmt = fmt


class StartupError(Exception):
    """The bot cannot start: the message says what to check (never a secret)."""
