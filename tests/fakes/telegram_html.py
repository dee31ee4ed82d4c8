"""Telegram's HTML parse mode, checked as strictly as the Bot API does.

The fake runs every ``parse_mode=HTML`` text through :func:`visible_text`, so a bot that
escapes badly gets the same "can't parse entities" rejection it would get from Telegram.
Only the tags and entities the Bot API documents are accepted; tags must nest properly.
"""

from __future__ import annotations

import html
import re
from typing import Final

ALLOWED_TAGS: Final = frozenset({
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "span", "tg-spoiler", "blockquote", "tg-emoji",
})
_TAG_RE: Final = re.compile(
    r"<(?P<close>/)?(?P<name>[a-zA-Z][\w-]*)"
    r"(?P<attrs>(?:\s+[\w-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTR_RE: Final = re.compile(r"([\w-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY_RE: Final = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


class HtmlParseError(ValueError):
    """Raised with the Bot API's description of the problem."""


def _error(detail: str, offset: int, text: str) -> HtmlParseError:
    byte_offset = len(text[:offset].encode())
    return HtmlParseError(
        f"Bad Request: can't parse entities: {detail} at byte offset {byte_offset}"
    )


def visible_text(text: str) -> str:
    """The text a user sees for ``text`` in HTML parse mode; raises HtmlParseError."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "<":
            match = _TAG_RE.match(text, index)
            if match is None:
                raise _error("unsupported start tag", index, text)
            _check_tag(match, stack, index, text)
            index = match.end()
        elif char == "&":
            match = _ENTITY_RE.match(text, index)
            if match is None:
                raise _error("unsupported HTML entity", index, text)
            out.append(html.unescape(match.group()))
            index = match.end()
        else:
            out.append(char)
            index += 1
    if stack:
        name, offset = stack[-1]
        raise _error(f'can\'t find end tag corresponding to start tag "{name}"', offset, text)
    return "".join(out)


def _check_tag(
    match: re.Match[str], stack: list[tuple[str, int]], index: int, text: str
) -> None:
    name = match["name"].lower()
    if name not in ALLOWED_TAGS:
        raise _error(f'unsupported start tag "{name}"', index, text)
    if match["close"]:
        if not stack or stack[-1][0] != name:
            raise _error(f'unexpected end tag "{name}"', index, text)
        stack.pop()
        return
    attrs = {m[1]: m[2] or m[3] or m[4] or "" for m in _ATTR_RE.finditer(match["attrs"])}
    if name == "a" and not attrs.get("href"):
        raise _error('tag "a" must have attribute "href"', index, text)
    if stack and stack[-1][0] == "pre" and name != "code":
        raise _error(f'tag "{name}" can\'t be inside "pre"', index, text)
    if stack and stack[-1][0] == "code":
        raise _error(f'tag "{name}" can\'t be inside "code"', index, text)
    stack.append((name, index))


def utf16_length(text: str) -> int:
    """Telegram counts message lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
