"""``data:`` URIs in streamed answers: taken out of the text, sent as files or dropped.

A model may answer with an image inline (``![chart](data:image/png;base64,...)``). Shown
as text that is hundreds of kilobytes of base64 spread over dozens of messages, so the
URI (with the markdown around it) is cut out of the stream as it arrives, and after the
answer it is decoded: when its bytes are a picture, sound or film (sniffed, whatever the
URI declares) it is sent as a file, otherwise it is dropped.

Shown text can only grow, so a possible start (``![..](`` or ``data:`` being written) is
held back until it is clear whether a data URI follows.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote_to_bytes

from bot.core.models import OutgoingFile
from bot.media import extension_for, kind_of, sniff_content_type

_HEADER: Final = r"data:(?:[a-z]+/[a-z0-9.+-]+)?(?:;[a-z0-9.+=-]+)*,"
_START: Final = re.compile(r"(!\[[^\]\n]{0,200}\]\(\s*)?(<)?(?<![a-z0-9])" + _HEADER, re.I)
# What may still grow into a start: a markdown image opener and/or part of a header.
_PARTIAL: Final = re.compile(
    r"(?:!(?:\[(?:[^\]\n]{0,200}(?:\](?:\(\s*)?)?)?)?)?"
    r"(?:<?d(?:a(?:t(?:a(?::[a-z0-9.+/;=-]{0,100})?)?)?)?|<)?$",
    re.I,
)
_BODY: Final = re.compile(r"[A-Za-z0-9+/=_%-]*")
_HOLD_WINDOW: Final = 400


@dataclass(frozen=True, slots=True)
class InlineData:
    uri: str | None  # None: longer than allowed, not kept
    over_limit: bool = False  # not kept: the answer already holds enough files


# An answer sends at most this many embedded files (a Telegram album's size); the rest are
# counted as dropped, and not kept in memory.
MAX_INLINE_FILES: Final = 10


class DataUriFilter:
    """Feed answer chunks, get the text to show; ``found`` lists the URIs taken out.

    ``max_uri_chars`` bounds each URI and all kept URIs together (one upload's worth of
    base64 in memory, however many URIs an answer holds); at most ``max_uris`` are kept."""

    def __init__(self, max_uri_chars: int, max_uris: int = MAX_INLINE_FILES) -> None:
        self._max = max_uri_chars
        self._max_uris = max_uris
        self._kept_chars = 0  # of the URIs kept so far
        self._kept = 0
        self._pending = ""
        self._uri: list[str] | None = None  # collecting a URI when not None
        self._uri_chars = 0
        self._closing = ""  # what closes the URI's "<" and "![..](": eaten with it
        self.found: list[InlineData] = []

    def feed(self, chunk: str) -> str:
        out: list[str] = []
        text = chunk
        while text:
            if self._uri is not None:
                run = _BODY.match(text)
                taken = run.group() if run else ""
                self._collect(taken)
                text = text[len(taken):]
                if text:  # the URI ended here
                    self._end_uri()
                    for closer in self._closing:
                        text = text.removeprefix(closer)
                continue
            pending, self._pending = self._pending + text, ""
            text = ""
            start = _START.search(pending)
            if start is not None:
                out.append(pending[: start.start()])
                self._closing = (">" if start.group(2) else "") + (")" if start.group(1) else "")
                header = start.group()
                self._uri = []
                self._uri_chars = 0
                self._collect(header[header.lower().index("data:"):])
                text = pending[start.end():]
                continue
            hold = _hold_from(pending)
            out.append(pending[:hold])
            self._pending = pending[hold:]
        return "".join(out)

    def finish(self) -> str:
        """The held-back rest, once the answer has ended."""
        if self._uri is not None:
            self._end_uri()
        rest, self._pending = self._pending, ""
        return rest

    def _over_limit(self) -> bool:
        return (self._kept >= self._max_uris
                or (self._uri_chars <= self._max
                    and self._kept_chars + self._uri_chars > self._max))

    def _keeps(self) -> bool:
        return self._uri_chars <= self._max and not self._over_limit()

    def _collect(self, piece: str) -> None:
        assert self._uri is not None
        self._uri_chars += len(piece)
        if self._keeps():
            self._uri.append(piece)
        else:
            self._uri.clear()  # too long or too many to keep: count it, drop it

    def _end_uri(self) -> None:
        assert self._uri is not None
        kept = self._keeps()
        over_limit = not kept and self._over_limit()
        self.found.append(InlineData("".join(self._uri) if kept else None, over_limit))
        if kept:
            self._kept_chars += self._uri_chars
            self._kept += 1
        self._uri = None


def _hold_from(text: str) -> int:
    """Where the tail that may still become a data URI starts (``len(text)``: none)."""
    window = max(0, len(text) - _HOLD_WINDOW)
    for at in range(window, len(text)):
        if text[at] in "!<dD" and _PARTIAL.fullmatch(text, at):
            return at
    return len(text)


def decode_inline(found: InlineData, max_bytes: int, number: int) -> OutgoingFile | None:
    """The URI's bytes as a file when they are media we can send, else None."""
    if found.uri is None:
        return None
    header, _, body = found.uri.partition(",")
    try:
        if ";base64" in header.lower():
            body = body.replace("-", "+").replace("_", "/").replace("%3D", "=")
            data = base64.b64decode(body + "=" * (-len(body) % 4))
        else:
            data = unquote_to_bytes(body)
    except (binascii.Error, ValueError):
        return None
    content_type = sniff_content_type(data)
    if content_type is None or len(data) > max_bytes:
        return None
    kind = kind_of(content_type)
    return OutgoingFile(data, f"inline-{number}{extension_for(content_type)}", kind,
                        content_type)
