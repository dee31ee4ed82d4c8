"""One check's outcome and how ``relaybot check`` prints it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CheckLine:
    service: str  # "relay", "telegram", "discord", "store"
    ok: bool
    summary: str
    fix: str | None = None  # set on failures: what the operator should do


def passed(service: str, summary: str) -> CheckLine:
    return CheckLine(service, True, summary)


def failed(service: str, summary: str, fix: str) -> CheckLine:
    return CheckLine(service, False, summary, fix)


def render(lines: Sequence[CheckLine]) -> str:
    """``ok   relay: …`` / ``FAIL telegram: …`` with an indented ``fix:`` line."""
    out: list[str] = []
    for line in lines:
        out.append(f"{'ok  ' if line.ok else 'FAIL'} {line.service}: {line.summary}")
        if line.fix:
            out.append(f"     fix: {line.fix}")
    return "\n".join(out)


def answer_message(body: bytes, limit: int = 160) -> str:
    """The human sentence of an error body (OpenAI, Bot API, Discord or relay shapes)."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return text[:limit]
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:limit]
        for key in ("message", "description", "detail", "msg"):
            if isinstance(data.get(key), str):
                return str(data[key])[:limit]
    return ""


def short_reason(exc: BaseException) -> str:
    """A network failure in a few words, without a traceback."""
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
