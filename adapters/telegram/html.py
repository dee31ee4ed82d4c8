"""Model markdown → Telegram HTML, always well-formed.

Models answer in markdown; Telegram's HTML parse mode accepts a handful of tags and
rejects the whole message on one stray ``<`` or ``&``. Everything is escaped first and
only complete pairs of markers become tags, so the output nests properly:

* fenced code blocks → ``<pre><code class="language-x">`` (an unclosed fence, as seen
  while an answer streams, runs to the end of the text);
* ```inline code``` → ``<code>``; ``[text](https://…)`` → ``<a href>`` (only web links:
  ``tg://`` and other schemes stay plain text);
* ``**bold**``/``__bold__`` and ``# headings`` → ``<b>``; ``*italic*``/``_italic_`` →
  ``<i>``; ``~~strike~~`` → ``<s>``; list bullets ``*``/``-`` → ``•``.

Markers that do not pair up stay as they are; pairing runs in O(n log n) time, however
many unpaired markers an answer holds. If Telegram still refuses the result the
adapter resends the original text without a parse mode.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

# A fence opens and closes on a line of its own (as in CommonMark and bot.core.render's
# splitter), so a code line such as ``print("```")`` does not end the block. The language
# is taken possessively: otherwise it and the rest of the line split a long fence line in
# every way before failing (quadratic: 40 kB after "```" took seconds).
_FENCE_RE: Final = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|~{3,})(?P<lang>[\w+#.-]*+)[^\n`]*\n(?P<body>.*?)"
    r"(?:\n[ \t]*(?P=fence)[`~]*[ \t]*(?=\n|\Z)|\Z)",
    re.DOTALL | re.MULTILINE,
)
_BACKTICKS_RE: Final = re.compile(r"`+")
# URLs may hold balanced parentheses (Wikipedia: ``/wiki/Python_(programming_language)``).
# Only web links: a ``tg://user?id=N`` link in model output would mention that user.
_LINK_RE: Final = re.compile(
    r"\[([^\]\n]+)\]\((https?://(?:[^\s()]|\([^\s()]*\))+)\)"
)
# The closing "#"s and blanks are stripped in Python: a lazy "(.+?)[ \t#]*$" rescans the
# rest of the line at every character (quadratic in a long run of blanks).
_HEADING_RE: Final = re.compile(r"^#{1,6}[ \t]+(.+)$", re.MULTILINE)
_BULLET_RE: Final = re.compile(r"^([ \t]*)[*+-][ \t]+(?=\S)", re.MULTILINE)

@dataclass(frozen=True, slots=True)
class _Pair:
    """A two-character marker that wraps text, like ``**bold**``: the opener is followed
    and the closer preceded by a non-space, the text between holds none of ``stops``,
    and with ``word_bound`` neither touches a letter or digit outside (``snake__case``)."""

    marker: str
    tag: str
    stops: str
    word_bound: bool = False


_BOLD: Final = (_Pair("**", "b", "\n"), _Pair("__", "b", "\n", word_bound=True))
_STRIKE: Final = _Pair("~~", "s", "<>\n")
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

    text = _inline_code(text, lambda code: stash(f"<code>{escape(code)}</code>"))
    text = escape(text)

    def link(match: re.Match[str]) -> str:
        href = match[2].replace('"', "&quot;")
        return stash(f'<a href="{href}">{_emphasis(match[1])}</a>')

    text = _LINK_RE.sub(link, text)
    text = _HEADING_RE.sub(lambda m: f"<b>{_heading(m[1]).replace('**', '')}</b>", text)
    text = _BULLET_RE.sub(lambda m: f"{m[1]}• ", text)
    return _emphasis(text)


def _heading(line: str) -> str:
    """A heading's text without its closing "#"s and blanks (at least one character)."""
    return line.rstrip(" \t#") or line[:1]


def _emphasis(text: str) -> str:
    for pair in _BOLD:
        text = _paired(text, pair)
    text = _paired(text, _STRIKE)
    for pattern in _ITALIC_RE:
        text = pattern.sub(_wrap("i"), text)
    return text


def _wrap(tag: str) -> Callable[[re.Match[str]], str]:
    return lambda match: f"<{tag}>{match[1]}</{tag}>"


# Pairing is done by scanning, not by a lazy regex: a regex tries every opener against
# the rest of its line, which is quadratic in unpaired markers (a hostile or broken answer
# with thousands of ``**`` blocked the event loop for seconds). Here every opener finds
# its closer by binary search in the list of possible closers: O(n log n) overall.


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _paired(text: str, pair: _Pair) -> str:
    """``text`` with each ``marker…marker`` pair wrapped in ``<tag>``, matched like the
    regex ``marker(?=\\S)(.+?)(?<=\\S)marker`` left to right."""
    marker, size = pair.marker, len(pair.marker)
    if marker not in text:
        return text
    starts = [m.start() for m in re.finditer(f"(?={re.escape(marker)})", text)]
    closers = [q for q in starts if q > 0 and not text[q - 1].isspace()
               and not (pair.word_bound and q + size < len(text) and _is_word(text[q + size]))]
    stops = sorted(m.start() for m in re.finditer(f"[{re.escape(pair.stops)}]", text))
    out: list[str] = []
    done = 0  # text[:done] is in out
    for p in starts:
        if p < done or p + size >= len(text) or text[p + size].isspace():
            continue
        if pair.word_bound and p > 0 and _is_word(text[p - 1]):
            continue
        at = bisect.bisect_left(closers, p + size + 1)
        if at == len(closers):
            continue
        q = closers[at]
        stop = bisect.bisect_left(stops, p + size)
        if stop < len(stops) and stops[stop] < q:
            continue
        out += [text[done:p], f"<{pair.tag}>", text[p + size:q], f"</{pair.tag}>"]
        done = q + size
    out.append(text[done:])
    return "".join(out)


def _inline_code(text: str, code: Callable[[str], str]) -> str:
    """Inline code: a run of backticks up to the next run of the same length on its line
    (as in CommonMark); unmatched runs stay as they are."""
    out: list[str] = []
    for line in text.split("\n"):
        runs = list(_BACKTICKS_RE.finditer(line))
        following: dict[int, int] = {}  # run index -> next run index of the same length
        last: dict[int, int] = {}
        for index in range(len(runs) - 1, -1, -1):
            length = len(runs[index][0])
            if length in last:
                following[index] = last[length]
            last[length] = index
        pieces: list[str] = []
        done = index = 0
        while index < len(runs):
            closer = following.get(index)
            if closer is None:
                index += 1
                continue
            opening, closing = runs[index], runs[closer]
            pieces += [line[done:opening.start()], code(line[opening.end():closing.start()])]
            done = closing.end()
            index = closer + 1
        pieces.append(line[done:])
        out.append("".join(pieces))
    return "\n".join(out)


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
