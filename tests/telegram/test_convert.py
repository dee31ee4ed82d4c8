"""Reading Telegram messages: who is addressed, topics, open questions."""

from __future__ import annotations

import asyncio

from telegram import Message, User

from adapters.telegram.convert import read_addressing, real_reply, thread_of
from adapters.telegram.questions import Questions
from tests.fakes.telegram_api import FakeTelegram

BOT = User(777_000, "Relay Test Bot", is_bot=True, username="relay_test_bot")


def parsed(data: dict[str, object]) -> Message:
    message = Message.de_json(data, None)
    assert message is not None
    return message


async def test_mentions_commands_and_replies(tg: FakeTelegram) -> None:
    group = tg.group()
    bob = tg.user(1002, "Bob")
    mention = parsed(tg.send_text(group, bob, "hey @Relay_Test_Bot how are you"))
    assert read_addressing(mention, BOT).mentioned
    assert read_addressing(mention, BOT).text == "hey how are you"
    other = parsed(tg.send_text(group, bob, "/imagine@another_bot a cat"))
    assert read_addressing(other, BOT).for_other_bot
    ours = read_addressing(parsed(tg.send_text(group, bob, "/Imagine@relay_test_bot a")), BOT)
    assert (ours.command, ours.for_other_bot) == ("imagine", False)
    photo = parsed(tg.send_photo(group, bob, b"jpg", caption="@relay_test_bot what is it"))
    assert read_addressing(photo, BOT).mentioned
    plain = read_addressing(parsed(tg.send_text(group, bob, "@someone_else hi")), BOT)
    assert not plain.mentioned and not plain.replied_to_bot


async def test_the_topic_root_is_not_a_reply(tg: FakeTelegram) -> None:
    forum = tg.group(-100555, forum=True)
    bob = tg.user(1002, "Bob")
    topic = tg.topic(forum, bob, "Ideas")
    message = parsed(tg.send_text(forum, bob, "hello", thread=topic))
    assert thread_of(message) == str(topic)
    assert message.reply_to_message is not None and real_reply(message) is None
    general = parsed(tg.send_text(forum, bob, "in general"))
    assert thread_of(general) == ""


async def test_in_groups_only_the_askers_reply_answers(tg: FakeTelegram) -> None:
    group = tg.group()
    alice, bob = tg.user(1001, "Alice"), tg.user(1002, "Bob")
    question = tg.world.new_message(group.id, tg.world.bot_user, text="zoom?")
    questions = Questions()
    waiting = asyncio.ensure_future(
        questions.wait((group.id, "", alice.id), 5, asked_in=str(question["message_id"]))
    )
    await asyncio.sleep(0)
    bob_reply = parsed(tg.send_text(group, bob, "mine!", reply_to=question["message_id"]))
    assert not questions.offer(bob_reply)
    unrelated = parsed(tg.send_text(group, alice, "just chatting"))
    assert not questions.offer(unrelated), "in a group only a reply answers"
    answer = parsed(tg.send_text(group, alice, " a --zoom 2 ", reply_to=question["message_id"]))
    assert questions.offer(answer)
    assert await waiting == "a --zoom 2"


async def test_a_new_question_or_a_command_ends_the_old_one(tg: FakeTelegram) -> None:
    alice = tg.user()
    chat = tg.private_chat(alice)
    questions = Questions()
    key = (chat.id, "", alice.id)
    first = asyncio.ensure_future(questions.wait(key, 5, asked_in="1"))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(questions.wait(key, 5, asked_in="2"))
    assert await first is None
    assert not questions.offer(parsed(tg.send_text(chat, alice, "/help")))
    assert await second is None
