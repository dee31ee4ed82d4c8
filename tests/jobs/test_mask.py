"""Vary (Region) masks: rectangles, image sizes from headers, the PNG drawn."""

from __future__ import annotations

import struct

import pytest

from bot.commands.mask import MaskError, Rect, parse_rect, rect_mask_png
from bot.media import image_size
from bot.sim.media import make_png


def test_parse_rect() -> None:
    assert parse_rect("10 10 50 50") == Rect(10, 10, 50, 50)
    assert parse_rect(" 0, 12.5, 100, 99% ") == Rect(0, 12.5, 100, 99)
    for bad in ("10 10 50", "50 10 10 50", "0 0 101 50", "a b c d", "10 10 10 20"):
        assert parse_rect(bad) is None, bad


def _jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xda\x00\x02" + b"\x00" * 8


def test_image_size_from_headers() -> None:
    assert image_size(make_png(37, 21)) == (37, 21)
    assert image_size(_jpeg(1024, 768)) == (1024, 768)
    assert image_size(b"GIF89a" + struct.pack("<HH", 5, 7) + b"\x00") == (5, 7)
    assert image_size(b"not an image") is None


def test_mask_is_white_inside_the_rectangle_only() -> None:
    png = rect_mask_png(100, 50, Rect(10, 20, 30, 60))
    assert image_size(png) == (100, 50)
    assert png[25] == 0  # colour type 0: greyscale
    with pytest.raises(MaskError):
        rect_mask_png(0, 10, Rect(0, 0, 1, 1))


def test_truncated_images_have_no_size() -> None:
    png = make_png(37, 21)
    for cut in (16, 20, 23):
        assert image_size(png[:cut]) is None
