"""Splitting long answers at platform limits, and progress bars."""

from __future__ import annotations

import re

import pytest

from bot.core.render import format_size, progress_bar, split_text


def _words(text: str) -> list[str]:
    return re.sub(r"```\w*", " ", text).split()


def test_short_text_is_one_piece() -> None:
    assert split_text("Hello there.", 100) == ["Hello there."]


def test_every_piece_fits_and_no_word_is_lost_or_cut() -> None:
    text = " ".join(f"word{i}" for i in range(600))
    pieces = split_text(text, 100)
    assert all(len(p) <= 100 for p in pieces)
    assert _words("\n".join(pieces)) == _words(text)


def test_prefers_paragraph_breaks() -> None:
    first = "First paragraph. " * 4
    second = "Second paragraph has more words. " * 3
    pieces = split_text(first.strip() + "\n\n" + second.strip(), 120)
    assert pieces[0] == first.strip()
    assert pieces[1].startswith("Second paragraph")


def test_prefers_sentence_end_over_a_space() -> None:
    text = "One sentence that is fairly long indeed. " + "Another one goes on and on " * 3
    pieces = split_text(text, 60)
    assert pieces[0] == "One sentence that is fairly long indeed."


def test_chinese_sentences_split_after_full_stop() -> None:
    text = "这是第一句话。" * 20
    pieces = split_text(text, 50)
    assert all(len(p) <= 50 and p.endswith("。") for p in pieces)
    assert "".join(pieces) == text


def test_code_block_is_moved_whole_to_the_next_message() -> None:
    intro = "Here is the code you asked for, with a short introduction first."
    code = "```python\n" + "\n".join(f"print({i})" for i in range(10)) + "\n```"
    pieces = split_text(intro + "\n" + code + "\nThat is all.", 150)
    assert pieces[0] == intro
    assert pieces[1].startswith("```python\nprint(0)") and "print(9)\n```" in pieces[1]


def test_too_long_code_block_is_closed_and_reopened() -> None:
    code = "```js\n" + "\n".join(f"console.log({i});" for i in range(60)) + "\n```"
    pieces = split_text("Intro.\n\n" + code, 200)
    assert pieces[0] == "Intro."
    code_pieces = pieces[1:]
    assert len(code_pieces) > 2
    for piece in code_pieces:
        assert len(piece) <= 200
        assert piece.startswith("```js\n")
        assert piece.endswith("```")
    lines = [line for p in code_pieces for line in p.splitlines() if not line.startswith("```")]
    assert lines == [f"console.log({i});" for i in range(60)]


def test_one_enormous_word_is_cut_hard() -> None:
    pieces = split_text("x" * 250, 100)
    assert [len(p) for p in pieces] == [100, 100, 50]


def test_limit_must_leave_room_to_split() -> None:
    with pytest.raises(ValueError):
        split_text("a" * 100, 5)


def test_progress_bar() -> None:
    assert progress_bar(40) == "▰▰▰▰▱▱▱▱▱▱ 40%"
    assert progress_bar(0) == "▱▱▱▱▱▱▱▱▱▱ 0%"
    assert progress_bar(130) == "▰▰▰▰▰▰▰▰▰▰ 100%"


def test_format_size() -> None:
    assert format_size(512) == "512 B"
    assert format_size(1536) == "1.5 KB"
    assert format_size(20 * 1024 * 1024) == "20 MB"


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_split_by_utf16_units_keeps_emoji_text_within_the_limit() -> None:
    text = "\n\n".join("🎨🖼️ " * 40 + f"paragraph {n}." for n in range(12))
    assert _utf16(text) > len(text) + 900  # every emoji counts twice
    pieces = split_text(text, 1000, _utf16)
    assert all(_utf16(piece) <= 1000 for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert split_text(text, 1000) != pieces  # counting characters would cut elsewhere


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
