"""Errors the core raises on purpose.

A :class:`UserError` is a problem the user can fix (empty prompt, unknown model, wrong
file type); the dispatcher answers it with the catalogue text for ``key``. Anything else
that escapes a command is mapped in :mod:`bot.core.failures`. A :class:`StartupError` is
a problem the operator must fix before the bot can run; ``relaybot run`` prints its
message as one line.
"""

from __future__ import annotations


class UserError(Exception):
    """Answer the user with ``t(key, **fmt)`` and stop the command."""

    def __init__(self, key: str, /, **fmt: object) -> None:
        super().__init__(key)
        self.key = key
        self.fmt = fmt


class StartupError(Exception):
    """The bot cannot start: the message says what to check (never a secret)."""
