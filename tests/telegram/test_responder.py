"""The responder on its own (real PTB Bot, fake Bot API, no core): how replies are laid
out in Telegram messages, edits, pacing and flood control."""

from __future__ import annotations

import pytest
from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import TelegramError

from adapters.telegram.convert import keyboard, message_ref
from adapters.telegram.outbox import Outbox
from adapters.telegram.pacing import Pacer
from adapters.telegram.responder import ACTION_DELAY_S, TelegramResponder, telegram_limits
from bot.core.models import (
    Button,
    ChatRef,
    DeliveryError,
    MessageRef,
    OutgoingFile,
    Question,
    Reply,
    UserRef,
)
from bot.sim import media
from tests.fakes.clock import JumpingClock, SchedulingClock
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.conftest import responder

PNG = media.make_png(8, 8, (1, 2, 3))
PNG2 = media.make_png(8, 8, (4, 5, 6))


def image(name: str = "a.png", data: bytes = PNG) -> OutgoingFile:
    return OutgoingFile(data, name, "image", "image/png")


BUTTONS = ((Button("Again", "k-again"), Button("More", "k-more")),)


async def test_a_caption_over_1024_characters_follows_the_photo(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    text = "word " * 300
    ref = await responder(ptb, chat, clock).send(Reply(text, files=(image(),), buttons=BUTTONS))
    photo, follow = tg.messages_in(chat)
    assert photo.kind == "photo" and photo.text == "" and photo.buttons == []
    assert follow.text == text.strip() and follow.labels == ["Again", "More"]
    assert ref.message_id == str(follow.message_id)


async def test_a_short_caption_and_buttons_sit_on_the_photo(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    out = responder(ptb, chat, clock)
    ref = await out.send(Reply("**done**", files=(image(),), buttons=BUTTONS))
    [photo] = tg.messages_in(chat)
    assert (photo.text, photo.raw, photo.labels) == ("done", "<b>done</b>", ["Again", "More"])
    await out.edit(ref, Reply("finished", buttons=()))
    assert photo.text == "finished" and photo.buttons == [], "a caption edit, keyboard removed"
    assert tg.sent("editMessageCaption")


async def test_several_images_are_an_album_and_buttons_follow_it(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    files = tuple(image(f"{i}.png") for i in range(3))
    await responder(ptb, chat, clock).send(Reply("three", files=files, buttons=BUTTONS))
    [album] = tg.sent("sendMediaGroup")
    assert len(album.params["media"]) == 3
    *photos, follow = tg.messages_in(chat)
    assert len({p.media_group_id for p in photos}) == 1
    assert follow.text == "three" and follow.labels == ["Again", "More"]


async def test_big_images_go_as_documents_and_mp3_voice_as_audio(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    out = responder(ptb, chat, clock)
    big = image("big.png", PNG + b"\0" * (10 * 1024 * 1024))
    await out.send(Reply(files=(big,)))
    await out.send(Reply(files=(OutgoingFile(media.make_mp3(), "speech.mp3", "voice",
                                             "audio/mpeg"),)))
    assert [m.kind for m in tg.messages_in(chat)] == ["document", "audio"]
    assert tg.sent("sendAudio")[0].params["title"] == "speech"


async def test_a_text_message_edited_with_a_photo_is_replaced_by_a_photo_message(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    out = responder(ptb, chat, clock)
    ref = await out.send(Reply("working 10%"))
    [text] = tg.messages_in(chat)
    new = await out.edit(ref, Reply("working **50%**", files=(image(),), buttons=BUTTONS))
    [photo] = tg.messages_in(chat)
    assert text.deleted and [c.params["message_id"] for c in tg.sent("deleteMessage")] == [
        text.message_id
    ]
    assert (photo.kind, photo.text, photo.raw) == ("photo", "working 50%", "working <b>50%</b>")
    assert photo.labels == ["Again", "More"] and photo.file is not None
    assert new == MessageRef(str(chat.id), f"{photo.message_id}m")
    # From now on the photo is the message: its picture and caption are edited in place.
    assert await out.edit(new, Reply("working 90%", files=(image("b.png", PNG2),))) is None
    assert photo.file.data == PNG2 and photo.text == "working 90%"
    assert await out.edit(new, Reply("done")) is None
    assert photo.history == ["working 50%", "working 90%", "done"]
    assert [m.kind for m in tg.messages_in(chat)] == ["photo"]


async def test_the_photo_answers_the_message_the_text_answered_in_the_same_topic(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    alice = tg.user()
    group = tg.group(forum=True)
    topic = tg.topic(group, alice, "pictures")
    asked = tg.send_text(group, alice, "/imagine a fox", thread=topic)
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    where = ChatRef("telegram", str(group.id), str(topic), is_private=False)
    out = TelegramResponder(Outbox(ptb, pacer, sleep=clock.sleep), where,
                            limits=telegram_limits(), locale="en")
    command = MessageRef(str(group.id), str(asked["message_id"]))
    ref = await out.send(Reply("queued", reply_to=command))
    new = await out.edit(ref, Reply("50%", files=(image(),)))
    assert new is not None
    [photo] = tg.messages_in(group, thread=topic)
    assert (photo.kind, photo.thread_id, photo.reply_to) == ("photo", topic, asked["message_id"])


async def test_what_cannot_become_a_photo_is_edited_as_text(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    out = responder(ptb, chat, clock)
    ref = await out.send(Reply("working 10%"))
    # A caption would be too long for a photo; two files cannot sit on one message.
    assert await out.edit(ref, Reply("x" * 1025, files=(image(),))) is None
    assert await out.edit(ref, Reply("two", files=(image(), image("b.png")))) is None
    # Not modified is fine.
    assert await out.edit(ref, Reply("two", files=(image(), image("b.png")))) is None
    [message] = tg.messages_in(chat)
    assert message.kind == "text" and message.history == ["working 10%", "x" * 1025, "two"]
    assert [c.ok for c in tg.calls if c.method == "editMessageText"] == [True, True, False]
    assert not tg.sent("sendPhoto") and not tg.sent("deleteMessage")


async def test_when_the_photo_is_refused_the_text_is_edited_instead(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    out = responder(ptb, chat, clock)
    ref = await out.send(Reply("working 10%"))
    refusal = "Bad Request: not enough rights to send photos to the chat"
    tg.fail("sendPhoto", description=refusal)
    tg.fail("sendDocument", description=refusal)
    assert await out.edit(ref, Reply("working 50%", files=(image(),))) is None
    [message] = tg.messages_in(chat)
    assert message.kind == "text" and message.text == "working 50%"


async def test_a_text_message_that_cannot_be_deleted_still_gives_way_to_the_photo(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    out = responder(ptb, chat, clock)
    ref = await out.send(Reply("working 10%"))
    tg.fail("deleteMessage", description="Bad Request: message can't be deleted for everyone")
    new = await out.edit(ref, Reply("working 50%", files=(image(),)))
    text, photo = tg.messages_in(chat)
    assert new == MessageRef(str(chat.id), f"{photo.message_id}m")
    assert text.text == "working 10%" and photo.text == "working 50%"


async def test_edits_of_one_message_are_at_most_one_per_second(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    out = responder(ptb, chat, clock)
    ref = await out.send(Reply("0"))
    start = clock.now
    for n in range(1, 4):
        await out.edit(ref, Reply(str(n)))
    assert clock.now - start >= 2.0, "3 edits need at least 2 s between the 1st and 3rd"


async def test_groups_get_at_most_20_messages_a_minute(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    group = tg.group()
    out = responder(ptb, group, clock)
    start = clock.now
    for n in range(21):
        await out.send(Reply(f"message {n}"))
    assert clock.now - start >= 60.0
    assert len(tg.messages_in(group)) == 21


async def test_flood_control_is_waited_out_and_the_message_arrives(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    tg.flood("sendMessage", 12, times=2)
    await responder(ptb, chat, clock).send(Reply("hello"))
    assert clock.slept.count(12) == 2
    assert [m.text for m in tg.messages_in(chat)] == ["hello"]


async def test_emoji_count_twice_when_splitting(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    await responder(ptb, chat, clock).send(Reply("😀" * 3000))
    lengths = [len(m.text) for m in tg.messages_in(chat)]
    assert len(lengths) == 2 and max(lengths) <= 2048, "4096 UTF-16 units = 2048 emoji"
    assert sum(lengths) == 3000


async def test_a_foreign_message_reference_is_a_delivery_error(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    with pytest.raises(DeliveryError):
        await responder(ptb, chat, clock).edit(MessageRef(str(chat.id), "m7"), Reply("x"))


async def test_a_photo_telegram_refuses_is_sent_as_a_document(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    tg.fail("sendPhoto", description="Bad Request: PHOTO_INVALID_DIMENSIONS")
    await responder(ptb, chat, clock).send(Reply("tall", files=(image("tall.png"),)))
    [document] = tg.messages_in(chat)
    assert (document.kind, document.text) == ("document", "tall")


async def test_a_question_in_a_group_addresses_its_user_in_the_users_language(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    li = tg.user(1003, "Li", language_code="zh-CN")
    group = tg.group()
    where = ChatRef("telegram", str(group.id), is_private=False)
    out = TelegramResponder(Outbox(ptb, Pacer(clock=clock, sleep=clock.sleep), sleep=clock.sleep),
                            where, limits=telegram_limits(), locale="zh",
                            user=UserRef(str(li.id), "Li", "zh"))
    await out.ask(Question("请输入缩放比例", "1.5", "token-1"))
    [asked] = tg.messages_in(group)
    assert asked.text.startswith("Li，✏️ 请输入缩放比例")


def paced_on(ptb: Bot, chat_id: int, clock: SchedulingClock) -> TelegramResponder:
    """A responder whose pauses wait for ``clock`` (nothing moves it unless it runs)."""
    outbox = Outbox(ptb, Pacer(clock=clock, sleep=clock.sleep), sleep=clock.sleep)
    return TelegramResponder(outbox, ChatRef("telegram", str(chat_id), is_private=True),
                             limits=telegram_limits(), locale="en")


async def test_work_answered_within_the_pause_shows_no_chat_action(
    tg: FakeTelegram, ptb: Bot
) -> None:
    chat = tg.private_chat(tg.user())
    out = paced_on(ptb, chat.id, SchedulingClock())
    async with out.typing():
        await out.send(Reply("at once"))
    assert [m.text for m in tg.messages_in(chat)] == ["at once"]
    assert not tg.sent("sendChatAction")


async def test_slower_work_shows_the_chat_action_before_its_answer(
    tg: FakeTelegram, ptb: Bot
) -> None:
    chat = tg.private_chat(tg.user())
    clock = SchedulingClock()
    out = paced_on(ptb, chat.id, clock)

    async def slow_answer() -> None:
        async with out.typing():
            await clock.sleep(ACTION_DELAY_S + 2)  # the relay thinks
            await out.send(Reply("after a while"))

    await clock.run(slow_answer())
    [action] = tg.sent("sendChatAction")
    [answer] = tg.sent("sendMessage")
    assert action.params["action"] == "typing" and action.at <= answer.at


async def test_a_text_is_the_request_send_message_makes_and_its_reference_the_same(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    alice = tg.user()
    forum = tg.group(forum=True)
    topic = tg.topic(forum, alice, "ideas")
    asked = tg.send_text(forum, alice, "what now?", thread=topic)
    where = ChatRef("telegram", str(forum.id), str(topic), is_private=False)
    out = TelegramResponder(Outbox(ptb, Pacer(clock=clock, sleep=clock.sleep),
                                   sleep=clock.sleep),
                            where, limits=telegram_limits(), locale="en")
    ref = await out.send(Reply("**this**", buttons=BUTTONS,
                               reply_to=MessageRef(str(forum.id), str(asked["message_id"]))))
    sent = await ptb.send_message(
        forum.id, "<b>this</b>", parse_mode=ParseMode.HTML, reply_markup=keyboard(BUTTONS),
        message_thread_id=topic, link_preview_options=LinkPreviewOptions(is_disabled=True),
        reply_parameters=ReplyParameters(asked["message_id"], allow_sending_without_reply=True),
    )
    ours, theirs = tg.sent("sendMessage")
    assert ours.params == theirs.params
    assert ref == message_ref(Message.de_json(ours.result, ptb))
    assert ref.message_id == f"{ours.result['message_id']}r{asked['message_id']}"
    assert message_ref(sent).message_id == f"{sent.message_id}r{asked['message_id']}"


@pytest.mark.parametrize("code", [400, 403, 404])
async def test_a_refused_text_is_reported_with_telegrams_error(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock, code: int
) -> None:
    chat = tg.private_chat(tg.user())
    tg.fail("sendMessage", code=code, description="Refused: scripted", times=2)
    with pytest.raises(TelegramError) as direct:
        await ptb.send_message(chat.id, "hello")
    with pytest.raises(DeliveryError) as ours:
        await responder(ptb, chat, clock).send(Reply("hello"))
    assert type(ours.value.__cause__) is type(direct.value)
    assert str(ours.value) == f"Telegram refused sendMessage: {direct.value.message}"
    assert tg.messages_in(chat) == []
