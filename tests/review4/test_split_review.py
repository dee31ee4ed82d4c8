"""Pieces of a split text must fit the limit, also when a code fence uses a long marker
(four backticks to show a fence inside, or a row of tildes)."""

from __future__ import annotations

import pytest

from bot.core.render import split_text


@pytest.mark.parametrize(("marker", "width", "limit"), [
    ("````", 9, 2000),
    ("````", 17, 4096),
    ("~~~~~~~~~~", 7, 2000),
])
def test_a_long_fence_cut_in_two_still_fits_the_limit(marker: str, width: int,
                                                        limit: int) -> None:
    body = "\n".join("x" * width for _ in range(300))
    text = f"{marker}py\n{body}\n{marker}"
    pieces = split_text(text, limit)
    assert len(pieces) > 1
    assert max(len(piece) for piece in pieces) <= limit
    assert all(piece.rstrip().endswith(marker) for piece in pieces)
