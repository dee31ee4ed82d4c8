"""Commands and chat in a private chat: streaming, splitting, HTML fallback, flood control."""

from __future__ import annotations

import pytest

from bot.sim import SimRelay
from tests.telegram.conftest import Running

pytestmark = pytest.mark.sim(chunk_delay_s=0.002)


async def test_commands_are_registered_with_their_descriptions(tgbot: Running) -> None:
    [call] = [c for c in tgbot.fake.sent("setMyCommands") if "language_code" not in c.params]
    commands = {c["command"]: c["description"] for c in call.params["commands"]}
    assert "chat" in commands and "help" in commands
    assert commands["help"] == "List every command"


async def test_help_answers_a_command(tgbot: Running) -> None:
    await tgbot.say("/help")
    answer = await tgbot.answer(containing="Here is what I can do")
    assert "/chat" in answer.text
    assert answer.parse_mode == "HTML"


async def test_start_shows_help(tgbot: Running) -> None:
    await tgbot.say("/start")
    await tgbot.answer(containing="Here is what I can do")


async def test_plain_text_is_chat_streamed_by_editing_one_message(
    tgbot: Running, sim: SimRelay
) -> None:
    await tgbot.say("hello there")
    await tgbot.fake.wait_until(
        lambda: any("simulated" in m.text and "still writing" not in m.text
                    for m in tgbot.fake.messages_in(tgbot.dm)),
        what="the finished answer",
    )
    [answer] = tgbot.fake.messages_in(tgbot.dm)
    assert answer.edits >= 1, "the answer is streamed: sent once, then edited"
    assert "still writing" in answer.history[0]
    assert answer.reply_to is not None  # it answers the user's message
    [request] = sim.requests_to("/v1/chat/completions")
    assert request.json["messages"][-1]["content"] == "hello there"


async def test_a_long_answer_is_split_and_code_stays_formatted(tgbot: Running) -> None:
    await tgbot.say("/chat tell me everything [long]")
    fake = tgbot.fake
    await fake.wait_until(
        lambda: len(fake.messages_in(tgbot.dm)) >= 3
        and "still writing" not in fake.messages_in(tgbot.dm)[-1].text,
        what="a long answer in several messages",
    )
    messages = fake.messages_in(tgbot.dm)
    assert all(len(m.text) <= 4096 for m in messages)
    assert sum(len(m.text) for m in messages) > 8000
    assert any("<pre>" in m.raw for m in messages), "the code block is shown as code"
    assert not any("```" in m.text for m in messages)


async def test_html_telegram_rejects_is_resent_as_plain_text(tgbot: Running) -> None:
    tgbot.fake.reject_html("sendMessage")
    await tgbot.say("/help")
    answer = await tgbot.answer(containing="Here is what I can do")
    assert answer.parse_mode is None
    [refused] = [c for c in tgbot.fake.calls if c.method == "sendMessage" and not c.ok]
    assert "can't parse entities" in (refused.error or "")


async def test_flood_control_on_an_edit_is_waited_out(tgbot: Running) -> None:
    fake = tgbot.fake
    fake.flood("editMessageText", 7)
    await tgbot.say("hello again")
    await fake.wait_until(
        lambda: any("simulated" in m.text and "still writing" not in m.text
                    for m in fake.messages_in(tgbot.dm)),
        what="the finished answer",
    )
    assert 7 in tgbot.clock.slept, "the bot waited the retry_after Telegram asked for"
    first_edit = next(c for c in fake.calls if c.method == "editMessageText")
    assert first_edit.error is not None and "Too Many Requests" in first_edit.error


async def test_a_formatted_answer_with_emoji_is_not_cut_when_it_fits_once_parsed(
    tgbot: Running, sim: SimRelay
) -> None:
    # 4,079 UTF-16 units: a message a user can send. The simulated model echoes it with a
    # short prefix, so the raw markdown is just over 4,096 units, while what Telegram
    # counts (bold markers gone) is less than half of that.
    question = "**w😀** " * 510
    await tgbot.say(question.strip())
    fake = tgbot.fake
    # The core splits by the raw markdown's UTF-16 length (on the safe side), so the
    # answer may take two messages; what matters is that nothing is lost.
    def shown() -> str:
        return "".join(m.text for m in fake.messages_in(tgbot.dm))

    await fake.wait_until(
        lambda: "reply #1" in shown() and "still writing" not in shown()
        and shown().count("😀") >= 510,
        what="the finished answer",
    )
    assert shown().count("😀") == 510, "every emoji of the answer is shown"
    assert not shown().endswith("…"), "the answer was not clipped"
    assert len(sim.requests_to("/v1/chat/completions")) == 1


async def test_each_message_sends_the_conversation_as_stored_when_it_arrived(
    tgbot: Running, sim: SimRelay
) -> None:
    # A chat message reads its conversation with its other reads, as it arrives: the turn
    # before it is in its history, and nothing is kept for the next message, so a reset
    # made elsewhere (another process, /chat new) between two messages applies at once.
    await tgbot.say("/chat first question")
    await tgbot.answer(containing="first question")
    await tgbot.adapter.settled()
    await tgbot.say("second question")
    await tgbot.answer(after=1, containing="second question")
    await tgbot.adapter.settled()
    await tgbot.app.core.services.store.reset_conversation("telegram", str(tgbot.dm.id))
    await tgbot.say("third question")
    await tgbot.answer(after=2, containing="third question")
    await tgbot.adapter.settled()

    first, second, third = sim.requests_to("/v1/chat/completions")
    asked = [[(m["role"], m["content"]) for m in r.json["messages"]] for r in (first, second)]
    assert asked[0] == [("user", "first question")]
    assert asked[1][0] == ("user", "first question") and asked[1][1][0] == "assistant"
    assert asked[1][-1] == ("user", "second question") and len(asked[1]) == 3
    assert [m["content"] for m in third.json["messages"]] == ["third question"]


async def test_a_reset_fetched_together_with_a_message_applies_to_that_message(
    tgbot: Running, sim: SimRelay
) -> None:
    # Updates that arrive together (a bot catching up after a pause) are handled at the
    # same time; the message after /reset is still answered in the new conversation.
    await tgbot.say("/chat first question")
    await tgbot.answer(containing="first question")
    await tgbot.adapter.settled()
    await tgbot.say("/reset")
    await tgbot.say("hello again")  # no wait in between: one getUpdates answer
    await tgbot.answer(after=1, containing="hello again")
    await tgbot.adapter.settled()

    [batch] = [c for c in tgbot.fake.calls if c.method == "getUpdates" and len(c.result) == 2]
    assert [u["message"]["text"] for u in batch.result] == ["/reset", "hello again"]
    _, again = sim.requests_to("/v1/chat/completions")
    assert [m["content"] for m in again.json["messages"]] == ["hello again"]
