"""Reading Telegram messages: who is addressed, topics."""

from __future__ import annotations

from telegram import Message, User

from adapters.telegram.convert import (
    message_ref,
    read_addressing,
    real_reply,
    sent_text_ref,
    thread_of,
)
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




async def test_a_sent_texts_reference_read_from_the_raw_answer_is_the_parsed_ones(
    tg: FakeTelegram,
) -> None:
    alice, bob = tg.user(1001, "Alice"), tg.user(1002, "Bob")
    dm, group, forum = tg.private_chat(alice), tg.group(), tg.group(-100555, forum=True)
    topic = tg.topic(forum, bob, "Ideas")
    first = tg.send_text(group, bob, "first")
    in_topic = tg.send_text(forum, bob, "in the topic", thread=topic)
    answers = [
        tg.send_text(dm, alice, "plain"),
        tg.send_text(group, alice, "a reply", reply_to=first["message_id"]),
        in_topic,  # points at the topic root, which is no reply
        tg.send_text(forum, alice, "a reply in the topic", reply_to=in_topic["message_id"],
                     thread=topic),
        tg.send_text(forum, alice, "a reply to the root itself", reply_to=topic),
    ]
    refs = [sent_text_ref(answer) for answer in answers]
    assert refs == [message_ref(parsed(answer)) for answer in answers]
    assert [ref.message_id.partition("r")[2] for ref in refs if ref is not None] == [
        "", str(first["message_id"]), "", str(in_topic["message_id"]), ""]
    photo = tg.send_photo(group, bob, b"jpg", caption="no text")
    assert sent_text_ref(photo) is None, "left to the parsed message"
