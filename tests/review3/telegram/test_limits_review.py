"""Telegram's 4,096-character limit counts the text *after* entity parsing, in UTF-16
units: markdown markers and link URLs do not count, an emoji counts twice."""

from __future__ import annotations

from bot.sim import SimRelay
from tests.telegram.conftest import Running


async def test_a_formatted_answer_with_emoji_is_not_cut_when_it_fits_once_parsed(
    bot: Running, sim: SimRelay
) -> None:
    # 4,079 UTF-16 units: a message a user can send. The simulated model echoes it with a
    # short prefix, so the raw markdown is just over 4,096 units, while what Telegram
    # counts (bold markers gone) is less than half of that.
    question = "**w😀** " * 510
    await bot.say(question.strip())
    fake = bot.fake
    # The core splits by the raw markdown's UTF-16 length (on the safe side), so the
    # answer may take two messages; what matters is that nothing is lost.
    def shown() -> str:
        return "".join(m.text for m in fake.messages_in(bot.dm))

    await fake.wait_until(
        lambda: "reply #1" in shown() and "still writing" not in shown()
        and shown().count("😀") >= 510,
        what="the finished answer",
    )
    assert shown().count("😀") == 510, "every emoji of the answer is shown"
    assert not shown().endswith("…"), "the answer was not clipped"
    assert len(sim.requests_to("/v1/chat/completions")) == 1
