"""Inline keyboards: callback data is the stored short key, every press is answered, and
strangers get a toast instead of a message."""

from __future__ import annotations

from tests.telegram.conftest import Running


async def test_pressing_a_button_edits_the_message_and_answers_the_query(tgbot: Running) -> None:
    fake = tgbot.fake
    await tgbot.say("/settings")
    menu = await tgbot.answer(containing="Your settings")
    assert menu.labels[3] == "MJ mode: fast"
    assert all(len(data.encode()) <= 64 for row in menu.buttons for _, data in row)
    query = fake.press(tgbot.alice, menu, "MJ mode: fast")
    await fake.wait_until(lambda: "MJ mode: relax" in menu.labels, what="the edited keyboard")
    [answered] = await fake.wait_for("answerCallbackQuery")
    assert answered.params["callback_query_id"] == query
    assert len(fake.messages_in(tgbot.dm)) == 1, "the menu was edited, not resent"


async def test_someone_elses_buttons_answer_with_a_toast(tgbot: Running) -> None:
    fake = tgbot.fake
    group = fake.group()
    bob = fake.user(1002, "Bob")
    await tgbot.say("/settings", chat=group)
    menu = await tgbot.answer(group, containing="Your settings")
    fake.press(bob, menu, "MJ mode: fast")
    [answered] = await fake.wait_for("answerCallbackQuery")
    assert answered.params["text"] == "Only the person who ran the command can press this button."
    assert answered.params["show_alert"] is True
    assert menu.labels[3] == "MJ mode: fast"
    assert len(fake.messages_in(group)) == 1


async def test_an_unknown_button_is_expired(tgbot: Running) -> None:
    fake = tgbot.fake
    await tgbot.say("/settings")
    menu = await tgbot.answer(containing="Your settings")
    fake.press_data(tgbot.alice, menu, "no-such-key")
    [answered] = await fake.wait_for("answerCallbackQuery")
    assert "no longer works" in answered.params["text"]
