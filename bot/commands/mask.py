"""Vary (Region) masks: read an image's size and draw a PNG mask, standard library only.

Midjourney redraws the white part of the mask and keeps the black part. Users give the
region as a rectangle ``left top right bottom`` in percent of the image (``10 10 50 50``);
the mask has exactly the image's pixel size, which is read from the PNG/JPEG/GIF/WebP
header without decoding the image.
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
# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_JPEG_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
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


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG, GIF or WebP image, read from its header."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        if marker == 0xDA:  # start of scan: no frame header found before the image data
            return None
        pos += 2 + length
    return None


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
