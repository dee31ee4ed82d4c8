"""Text layout: splitting long answers at platform limits, progress bars, sizes.

Splitting prefers, in order, a paragraph break, a line break, the end of a sentence and
a space, taking the latest one in the second half of the allowed window; it never cuts
inside a fenced code block unless that block alone is longer than a message, in which
case the block is closed at a line break and reopened (same language tag) in the next
piece.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

_FENCE_RE: Final = re.compile(r"^ {0,3}(?P<marker>`{3,}|~{3,})(?P<info>[^\n`]*)$", re.MULTILINE)
_SENTENCE_END_RE: Final = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|(?<=[。！？])")
_CLOSE_RESERVE: Final = 4  # "\n```"


@dataclass(frozen=True, slots=True)
class Cut:
    """The first piece of a text and how to go on.

    The rest of the text is ``reopen + text[consumed:]``; ``reopen`` is a fence opening
    line when the cut went through a code block, else empty.
    """

    head: str
    consumed: int
    reopen: str = ""


@dataclass(frozen=True, slots=True)
class _Fence:
    start: int  # offset of the opening line
    body: int  # offset just after the opening line
    end: int  # offset just after the closing marker (past the text when unclosed)
    opener: str  # the opening line, e.g. "```python"
    marker: str  # "```" or "~~~" (or longer), which closes the block


TextLength = Callable[[str], int]


def chars_within(text: str, limit: int, length: TextLength = len) -> int:
    """How many leading characters of ``text`` fit in ``limit`` units of ``length``.

    Platforms count differently (Telegram counts UTF-16 units, where an emoji is two);
    the splitter works in characters, so it is given this many."""
    if length is len:
        return min(len(text), limit)
    low, high = 0, min(len(text), limit)
    while low < high:  # every prefix is at least as long as its characters in units
        middle = (low + high + 1) // 2
        if length(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def split_text(text: str, limit: int, length: TextLength = len) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` units of ``length`` (characters
    by default; see module doc)."""
    pieces: list[str] = []
    rest = text.strip("\n")
    while length(rest) > limit:
        cut = split_first(rest, chars_within(rest, limit, length))
        if cut.head.strip():
            pieces.append(cut.head)
        rest = cut.reopen + rest[cut.consumed:].lstrip("\n" if cut.reopen else "\n ")
    if rest.strip() or not pieces:
        pieces.append(rest.rstrip())
    return pieces


def split_first(text: str, limit: int) -> Cut:
    """Where to end the first message of ``text``; ``text`` must be longer than ``limit``."""
    if limit < 16:
        raise ValueError("limit too small to split text")
    fences = list(_fences(text))
    at = _best_break(text, limit, fences)
    if at is not None:
        return Cut(text[:at].rstrip(), at)
    block = next((f for f in fences if f.start < limit < f.end), None)
    # Room for "\n" + the closing marker, which may be longer than three characters.
    window = limit - max(_CLOSE_RESERVE, 1 + len(block.marker) if block else 0)
    if block is None or window <= block.body:  # one enormous word, or a giant fence line
        return Cut(text[:limit], limit)
    newline = text.rfind("\n", block.body + 1, window + 1)
    at = newline if newline > block.body else window
    consumed = at + 1 if newline > block.body else at
    head = text[:at] + "\n" + block.marker
    return Cut(head, consumed, block.opener + "\n")


def _best_break(text: str, limit: int, fences: list[_Fence]) -> int | None:
    """The best cut position outside code blocks, or None."""

    def outside(pos: int) -> bool:
        return all(not (f.start < pos < f.end) for f in fences)

    window = text[: limit + 1]
    levels = [
        [m.start() for m in re.finditer(r"\n[ \t]*\n", window)],
        [m.start() for m in re.finditer(r"\n", window)],
        [m.end() for m in _SENTENCE_END_RE.finditer(window)],
        [m.start() for m in re.finditer(r"[ \t]", window)],
    ]
    candidates = [[p for p in level if 0 < p <= limit and outside(p)] for level in levels]
    half = limit // 2
    for level in candidates:
        good = [p for p in level if p >= half]
        if good:
            return max(good)
    # Only early breaks: a short first piece beats cutting through a code block or word.
    early = [p for level in candidates for p in level]
    return max(early) if early else None


def _fences(text: str) -> Iterator[_Fence]:
    opener: re.Match[str] | None = None
    for match in _FENCE_RE.finditer(text):
        if opener is None:
            opener = match
            continue
        closes = (
            match["marker"][0] == opener["marker"][0]
            and len(match["marker"]) >= len(opener["marker"])
            and not match["info"].strip()
        )
        if closes:
            yield _Fence(
                opener.start(), opener.end() + 1, match.end(), opener[0].strip(), opener["marker"]
            )
            opener = None
    if opener is not None:
        yield _Fence(
            opener.start(), opener.end() + 1, len(text) + 1, opener[0].strip(), opener["marker"]
        )


def progress_bar(percent: float, width: int = 10) -> str:
    """``progress_bar(40)`` → ``"▰▰▰▰▱▱▱▱▱▱ 40%"``."""
    clamped = min(100.0, max(0.0, percent))
    filled = round(clamped / 100 * width)
    return "▰" * filled + "▱" * (width - filled) + f" {clamped:.0f}%"


def format_size(size: int) -> str:
    """Bytes for people: ``512`` → ``"512 B"``, ``1536`` → ``"1.5 KB"``,
    ``20 * 1024**2`` → ``"20 MB"``."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "bytes":
                return f"{size} B"  # a unit, as KB and MB are: no word to translate
            return f"{value:.1f}".rstrip("0").rstrip(".") + f" {unit}"
        value /= 1024
    raise AssertionError("unreachable")
