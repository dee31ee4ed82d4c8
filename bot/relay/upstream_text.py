"""The upstream's own sentence out of a gateway's error message.

Gateways in front of the real model (LiteLLM proxy, one-api/new-api and their forks) wrap
the upstream's message in their own words::

    litellm.BadRequestError: OpenAIException - Error code: 400 - {'error': {'message':
    'Invalid image URL.', 'type': 'invalid_request_error', 'param': None, 'code': None}}
    Received Model Group=gpt-4o
    Available Model Group Fallbacks=None

A user should read "Invalid image URL." — not the vendor prefixes, the Python repr, the
model-group routing notes or the request id. :func:`clean_message` keeps the raw text for
the log (callers log the original) and returns what a user may see; it never invents
text, and returns ``""`` when nothing but gateway internals was there.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Final

# "litellm.BadRequestError:", "OpenAIException -", "AzureException BadRequestError -",
# "RateLimitError:", "Error code: 400 -", "400:" (a FastAPI HTTPException's detail),
# "completion:" (the name of LiteLLM's function that failed).
_PREFIX_RE: Final = re.compile(
    r"""^\s*(?:
        litellm\.\w+
      | a?(?:completion|embedding|image_generation|transcription|speech|moderation)
      | \w*Exception(?:\s+\w+Error)?
      | \w+Error
      | Error\s+code:?\s*\d{3}
      | \d{3}
    )\s*(?:[:\-–]\s*|\s+(?=[{\[]))""",
    re.VERBOSE,
)
_REQUEST_ID_RE: Final = re.compile(
    r"[\s,;]*[(（\[]?\s*(?:x-)?request[ _-]?id\s*[:=：]\s*[\w.:-]+\s*[)）\]]?",
    re.IGNORECASE,
)
# Lines a gateway appends about its own routing and retries.
_GATEWAY_LINE_RE: Final = re.compile(
    r"^\s*(?:Received Model Group|Available Model Group|Model Group|LiteLLM[\s:]|"
    r"Traceback\b|Passed model=)",
    re.IGNORECASE,
)
# Sentences about the gateway ("LiteLLM: model group=…", "Passed model=gpt-4o.") or made
# of nothing but key=value pairs ("pre-call-checks=False, allowed_model_region=n/a").
_GATEWAY_SENTENCE_RE: Final = re.compile(
    r"^(?:LiteLLM[\s:]|Received Model Group|Available Model Group|Passed model=|"
    r"(?:[\w-]+=\S*?[,.]?\s*)+$)",
    re.IGNORECASE,
)
_SENTENCE_END_RE: Final = re.compile(r"(?<=[.!?。！？])\s+")
_MAX_DEPTH: Final = 5


def clean_message(text: str) -> str:
    """The upstream's own words in a gateway's error ``text`` (see the module doc)."""
    cleaned = text
    for _ in range(_MAX_DEPTH):  # a repr may hold a message holding another repr
        before = cleaned
        cleaned = _strip_prefixes(_drop_gateway_lines(cleaned))
        cleaned = _inner_message(cleaned) or cleaned
        if cleaned == before:
            break
    cleaned = _REQUEST_ID_RE.sub("", cleaned)
    cleaned = _drop_gateway_sentences(cleaned)
    return " ".join(cleaned.split()).strip(" -–:;,")


def _drop_gateway_lines(text: str) -> str:
    lines = text.splitlines()
    kept = [line for line in lines if not _GATEWAY_LINE_RE.match(line)]
    return "\n".join(kept) if kept else ""


def _strip_prefixes(text: str) -> str:
    while True:
        stripped = _PREFIX_RE.sub("", text, count=1)
        if stripped == text or not stripped.strip():
            return text.strip()
        text = stripped


def _inner_message(text: str) -> str | None:
    """The message inside a JSON or Python-repr error envelope within ``text``."""
    start = text.find("{")
    if start < 0:
        return None
    end = text.rfind("}")
    if end <= start:
        return None
    value = _literal(text[start : end + 1])
    message = _message_of(value)
    if not message:
        return None
    before = text[:start].strip(" -–:;,")
    # Text before the envelope is a prefix we could not name; the envelope's message wins
    # unless that text is a sentence of its own.
    if before and not _PREFIX_RE.match(before + ":") and before[-1:] in ".!?。！？":
        return f"{before} {message}"
    return message


def _literal(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)  # a Python repr: {'error': {'message': ...}}
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _message_of(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if not isinstance(value, dict):
        return None
    for key in ("error", "detail", "message", "msg", "description"):
        found = _message_of(value.get(key))
        if found:
            return found
    return None


def _drop_gateway_sentences(text: str) -> str:
    sentences = _SENTENCE_END_RE.split(text.strip())
    kept = [s for s in sentences if not _GATEWAY_SENTENCE_RE.match(s.strip())]
    return " ".join(kept)
