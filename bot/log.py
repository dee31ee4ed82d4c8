"""Logging setup: one line per event on stderr, with secrets redacted.

The redactor runs as a handler filter, so it sees the final message of every
record, including exception text, whichever logger produced it (ours, aiohttp's,
discord.py's or python-telegram-bot's — the latter logs request URLs, which carry
the bot token).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final, TextIO
from urllib.parse import quote, quote_plus, unquote

REDACTED: Final = "***"

# Shapes of credentials that may appear even when not configured through us: Telegram
# file URLs (they carry the bot token in their path), relay keys, Telegram bot tokens
# (in Bot API URLs), bearer headers and the password of a URL such as a proxy's
# (``socks5://user:password@host``).
_PATTERNS: Final = (
    # Matches start only where a word or a scheme starts: a start inside a long run would
    # rescan the run from every character (seconds of blocked loop for 40 kB of "a.a.a.").
    re.compile(r"(?<!\S)\S*/file/bot[^\s/]*/\S*"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"(?<!\d)\d+:[A-Za-z0-9_\-]{30,}"),
    re.compile(r"(?i)(bearer\s+)[^\s'\"]+"),
    # Up to the URL's last "@" before its path, as URL parsers read it (a password may
    # hold "@"); the user may be empty ("socks5://:password@host").
    re.compile(r"(?i)((?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]*://[^\s/:@'\"]*:)[^\s/'\"]+(?=@)"),
)


def _shapes(secret: str) -> set[str]:
    """A secret as a URL or a JSON encoder may quote it (a relay echoing its request URL,
    a body escaping "/"), and decoded, for a value configured percent-encoded (a proxy's
    or database URL's password) but used decoded."""
    decoded = unquote(secret)
    found = {secret, decoded}
    for value in (secret, decoded):
        found |= {quote(value, safe=""), quote(value), quote_plus(value),
                  json.dumps(value)[1:-1], value.replace("/", "\\/")}
    return found


class Redactor:
    """Replaces known secret values and credential-shaped strings with ``***``.

    One instance serves the log handler and every text shown to users that quotes a
    relay, a platform or an exception: both must hide the same things."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        shapes = {shape for s in secrets for shape in _shapes(s)}
        self._secrets = sorted({s for s in shapes if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(
                lambda m: (m.group(1) if m.groups() else "") + REDACTED, text
            )
        return text


class RedactingFilter(logging.Filter):
    """Runs every record's final text (message, exception, stack) through a :class:`Redactor`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # Filters run outside the handler's error guard: a malformed call (ours or a
            # library's) would otherwise raise into the code that was only logging.
            message = f"{record.msg!s} (unformattable log arguments: {record.args!r})"
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message`` and, for an
    exception, ``exc_info`` (the traceback text). Runs after the redactor, so every
    field is already redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(
    level: str = "INFO",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    format: str = "text",
) -> logging.Handler:
    """Install one redacting stderr handler on the root logger and return it.

    ``format="json"`` writes one JSON object per line, for log collectors."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(
        JsonFormatter() if format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "relaybot", False):
            root.removeHandler(old)
    handler.relaybot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Library chatter at INFO (every HTTP request, every gateway event) drowns ours.
    for noisy in ("aiohttp.access", "httpx", "discord.gateway", "discord.http"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler
