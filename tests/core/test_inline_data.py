"""data: URIs are cut out of a streamed answer wherever the chunks happen to split it."""

from __future__ import annotations

import base64

import pytest

from bot.core.inline_data import DataUriFilter, InlineData, decode_inline
from bot.sim.media import make_png

PNG = make_png(4, 4, (1, 2, 3))
PNG_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()
TEXT = (f"A chart: ![chart]({PNG_URI}) and metadata: kept. Also <data:text/plain,hi%20there> "
        "and [a link](https://example.org) d")


def _run(text: str, step: int, max_uri_chars: int = 10**6) -> tuple[str, list[InlineData]]:
    uris = DataUriFilter(max_uri_chars)
    shown = "".join(uris.feed(text[i:i + step]) for i in range(0, len(text), step))
    return shown + uris.finish(), uris.found


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, len(TEXT)])
def test_the_same_text_is_shown_however_the_stream_is_chunked(step: int) -> None:
    shown, found = _run(TEXT, step)
    assert shown == ("A chart:  and metadata: kept. Also  and [a link](https://example.org) d")
    assert [f.uri for f in found] == [PNG_URI, "data:text/plain,hi%20there"]


def test_only_media_by_their_bytes_become_files_and_long_uris_are_not_kept() -> None:
    _, found = _run(TEXT, 5)
    picture = decode_inline(found[0], max_bytes=10_000, number=1)
    assert picture is not None and picture.kind == "image" and picture.data == PNG
    assert decode_inline(found[1], max_bytes=10_000, number=2) is None  # text, not media
    lying = InlineData("data:image/png;base64," + base64.b64encode(b"not a png").decode())
    assert decode_inline(lying, max_bytes=10_000, number=3) is None
    shown, too_long = _run(TEXT, 9, max_uri_chars=50)
    assert "base64" not in shown
    assert [f.uri for f in too_long] == [None, "data:text/plain,hi%20there"]
