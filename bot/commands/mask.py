"""Vary (Region) masks: parse a rectangle and draw a PNG mask, standard library only.

Midjourney redraws the white part of the mask and keeps the black part. Users give the
region as a rectangle ``left top right bottom`` in percent of the image (``10 10 50 50``);
the mask has exactly the image's pixel size (:func:`bot.media.image_size` reads it from
the header without decoding the image).
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from typing import Final

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_RECT_RE: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)[\s,]+(\d+(?:\.\d+)?)[\s,]+(\d+(?:\.\d+)?)"
                             r"[\s,]+(\d+(?:\.\d+)?)\s*%?\s*$")
MAX_MASK_SIDE: Final = 8192


class MaskError(ValueError):
    """The rectangle or the image cannot make a mask."""


@dataclass(frozen=True, slots=True)
class Rect:
    """A region in percent of the image: 0 ≤ left < right ≤ 100, 0 ≤ top < bottom ≤ 100."""

    left: float
    top: float
    right: float
    bottom: float


def parse_rect(text: str) -> Rect | None:
    """``"10 10 50 50"`` → Rect; None when ``text`` is not four numbers or not a region."""
    match = _RECT_RE.match(text)
    if match is None:
        return None
    left, top, right, bottom = (float(g) for g in match.groups())
    if not (0 <= left < right <= 100 and 0 <= top < bottom <= 100):
        return None
    return Rect(left, top, right, bottom)


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def rect_mask_png(width: int, height: int, rect: Rect) -> bytes:
    """An 8-bit greyscale PNG, ``width`` x ``height``: white inside ``rect``, black outside.

    CPU-bound for big images; call it through ``asyncio.to_thread``.
    """
    if not (1 <= width <= MAX_MASK_SIDE and 1 <= height <= MAX_MASK_SIDE):
        raise MaskError(f"cannot build a mask of {width}x{height} pixels")
    x0, x1 = round(width * rect.left / 100), round(width * rect.right / 100)
    y0, y1 = round(height * rect.top / 100), round(height * rect.bottom / 100)
    x0, y0 = min(x0, width - 1), min(y0, height - 1)
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)  # a tiny region still marks one pixel
    black_row = b"\x00" + bytes(width)  # leading filter byte 0: no filter
    white_row = b"\x00" + bytes(x0) + b"\xff" * (x1 - x0) + bytes(width - x1)
    raw = black_row * y0 + white_row * (y1 - y0) + black_row * (height - y1)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        _PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )
