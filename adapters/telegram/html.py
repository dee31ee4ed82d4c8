"""Model markdown → Telegram HTML, always well-formed.

Models answer in markdown; Telegram's HTML parse mode accepts a handful of tags and
rejects the whole message on one stray ``<`` or ``&``. Everything is escaped first and
only complete pairs of markers become tags, so the output nests properly:

* fenced code blocks → ``<pre><code class="language-x">`` (an unclosed fence, as seen
  while an answer streams, runs to the end of the text);
* ```inline code``` → ``<code>``; ``[text](https://…)`` → ``<a href>``;
* ``**bold**``/``__bold__`` and ``# headings`` → ``<b>``; ``*italic*``/``_italic_`` →
  ``<i>``; ``~~strike~~`` → ``<s>``; list bullets ``*``/``-`` → ``•``.

Markers that do not pair up stay as they are. If Telegram still refuses the result the
adapter resends the original text without a parse mode.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Final

# A fence opens and closes on a line of its own (as in CommonMark and bot.core.render's
# splitter), so a code line such as ``print("```")`` does not end the block.
_FENCE_RE: Final = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|~{3,})(?P<lang>[\w+#.-]*)[^\n`]*\n(?P<body>.*?)"
    r"(?:\n[ \t]*(?P=fence)[`~]*[ \t]*(?=\n|\Z)|\Z)",
    re.DOTALL | re.MULTILINE,
)
_INLINE_CODE_RE: Final = re.compile(r"(`+)([^\n]+?)\1")
# URLs may hold balanced parentheses (Wikipedia: ``/wiki/Python_(programming_language)``).
_LINK_RE: Final = re.compile(
    r"\[([^\]\n]+)\]\(((?:https?|tg)://(?:[^\s()]|\([^\s()]*\))+)\)"
)
_HEADING_RE: Final = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_BULLET_RE: Final = re.compile(r"^([ \t]*)[*+-][ \t]+(?=\S)", re.MULTILINE)
_BOLD_RE: Final = (
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)"),
)
_STRIKE_RE: Final = re.compile(r"~~(?=\S)([^<>\n]+?)(?<=\S)~~")
_ITALIC_RE: Final = (
    re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n<>]+?)(?<=[^\s*])\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n<>]+?)(?<=[^\s_])_(?![\w_])"),
)
_SLOT: Final = "\x00"
_TAG_RE: Final = re.compile(r"<[^>]*>")  # every "<" of the text itself is escaped


def escape(text: str) -> str:
    """Escape text for Telegram HTML (``&``, ``<``, ``>``)."""
    return html.escape(text, quote=False)


def markdown_to_html(text: str) -> str:
    """Telegram HTML for a model's markdown answer."""
    text = text.replace(_SLOT, "")
    slots: list[str] = []
    out: list[str] = []
    position = 0
    for match in _FENCE_RE.finditer(text):
        out.append(_inline(text[position : match.start()], slots))
        out.append(_pre(match["lang"], match["body"]))
        position = match.end()
    out.append(_inline(text[position:], slots))
    return _restore("".join(out), slots)


def _pre(language: str, body: str) -> str:
    code = escape(body.rstrip("\n"))
    if not code.strip():
        code = " "
    if language:
        return f'<pre><code class="language-{escape(language)}">{code}</code></pre>'
    return f"<pre>{code}</pre>"


def _inline(text: str, slots: list[str]) -> str:
    def stash(markup: str) -> str:
        slots.append(markup)
        return f"{_SLOT}{len(slots) - 1}{_SLOT}"

    text = _INLINE_CODE_RE.sub(lambda m: stash(f"<code>{escape(m[2])}</code>"), text)
    text = escape(text)

    def link(match: re.Match[str]) -> str:
        href = match[2].replace('"', "&quot;")
        return stash(f'<a href="{href}">{_emphasis(match[1])}</a>')

    text = _LINK_RE.sub(link, text)
    text = _HEADING_RE.sub(lambda m: f"<b>{m[1].replace('**', '')}</b>", text)
    text = _BULLET_RE.sub(lambda m: f"{m[1]}• ", text)
    return _emphasis(text)


def _emphasis(text: str) -> str:
    for pattern in _BOLD_RE:
        text = pattern.sub(_wrap("b"), text)
    text = _STRIKE_RE.sub(_wrap("s"), text)
    for pattern in _ITALIC_RE:
        text = pattern.sub(_wrap("i"), text)
    return text


def _wrap(tag: str) -> Callable[[re.Match[str]], str]:
    return lambda match: f"<{tag}>{match[1]}</{tag}>"


def _restore(text: str, slots: list[str]) -> str:
    # Slots may hold other slots (a link around inline code), so resolve repeatedly.
    pattern = re.compile(f"{_SLOT}(\\d+){_SLOT}")
    while _SLOT in text:
        text = pattern.sub(lambda m: slots[int(m[1])], text)
    return text


def visible_length(markdown: str) -> int:
    """What Telegram counts against its limits for ``markdown`` sent as our HTML: the text
    after entity parsing (markers, tags and link URLs do not count), in UTF-16 units."""
    plain = html.unescape(_TAG_RE.sub("", markdown_to_html(markdown)))
    return utf16_length(plain)


def utf16_length(text: str) -> int:
    """Telegram counts lengths in UTF-16 code units (an emoji may count twice)."""
    return len(text.encode("utf-16-le")) // 2
