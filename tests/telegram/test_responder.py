"""The responder on its own (real PTB Bot, fake Bot API, no core): how replies are laid
out in Telegram messages, edits, pacing and flood control."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from adapters.telegram.outbox import Outbox
from adapters.telegram.pacing import Pacer
from adapters.telegram.responder import TelegramResponder, telegram_limits
from bot.core.models import Button, ChatRef, DeliveryError, MessageRef, OutgoingFile, Reply
from bot.sim import media
from tests.fakes.telegram_api import FakeTelegram, TgChat
from tests.telegram.conftest import JumpingClock

PNG = media.make_png(8, 8, (1, 2, 3))


@pytest.fixture
async def ptb(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        yield bot


def responder(bot: Bot, chat: TgChat, clock: JumpingClock) -> TelegramResponder:
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    ref = ChatRef("telegram", str(chat.id), is_private=chat.is_private)
    return TelegramResponder(Outbox(bot, pacer, sleep=clock.sleep), ref,
                             limits=telegram_limits(), locale="en")


def image(name: str = "a.png", data: bytes = PNG) -> OutgoingFile:
    return OutgoingFile(data, name, "image", "image/png")


BUTTONS = ((Button("Again", "k-again"), Button("More", "k-more")),)


async def test_a_caption_over_1024_characters_follows_the_photo(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = fake.private_chat(fake.user())
    text = "word " * 300
    ref = await responder(ptb, chat, clock).send(Reply(text, files=(image(),), buttons=BUTTONS))
    photo, follow = fake.messages_in(chat)
    assert photo.kind == "photo" and photo.text == "" and photo.buttons == []
    assert follow.text == text.strip() and follow.labels == ["Again", "More"]
    assert ref.message_id == str(follow.message_id)


async def test_a_short_caption_and_buttons_sit_on_the_photo(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = fake.private_chat(fake.user())
    out = responder(ptb, chat, clock)
    ref = await out.send(Reply("**done**", files=(image(),), buttons=BUTTONS))
    [photo] = fake.messages_in(chat)
    assert (photo.text, photo.raw, photo.labels) == ("done", "<b>done</b>", ["Again", "More"])
    await out.edit(ref, Reply("finished", buttons=()))
    assert photo.text == "finished" and photo.buttons == [], "a caption edit, keyboard removed"
    assert fake.sent("editMessageCaption")


async def test_several_images_are_an_album_and_buttons_follow_it(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = fake.private_chat(fake.user())
    files = tuple(image(f"{i}.png") for i in range(3))
    await responder(ptb, chat, clock).send(Reply("three", files=files, buttons=BUTTONS))
    [album] = fake.sent("sendMediaGroup")
    assert len(album.params["media"]) == 3
    *photos, follow = fake.messages_in(chat)
    assert len({p.media_group_id for p in photos}) == 1
    assert follow.text == "three" and follow.labels == ["Again", "More"]


async def test_big_images_go_as_documents_and_mp3_voice_as_audio(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = fake.private_chat(fake.user())
    out = responder(ptb, chat, clock)
    big = image("big.png", PNG + b"\0" * (10 * 1024 * 1024))
    await out.send(Reply(files=(big,)))
    await out.send(Reply(files=(OutgoingFile(media.make_mp3(), "speech.mp3", "voice",
                                             "audio/mpeg"),)))
    assert [m.kind for m in fake.messages_in(chat)] == ["document", "audio"]
    assert fake.sent("sendAudio")[0].params["title"] == "speech"


async def test_a_text_edit_ignores_preview_files_and_not_modified_is_fine(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = fake.private_chat(fake.user())
    out = responder(ptb, chat, clock)
    ref = await out.send(Reply("working 10%"))
    await out.edit(ref, Reply("working 50%", files=(image(),)))
    await out.edit(ref, Reply("working 50%", files=(image(),)))
    [message] = fake.messages_in(chat)
    assert message.history == ["working 10%", "working 50%"]
    assert [c.ok for c in fake.calls if c.method == "editMessageText"] == [True, False]


async def test_edits_of_one_message_are_at_most_one_per_second(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = fake.private_chat(fake.user())
    out = responder(ptb, chat, clock)
    ref = await out.send(Reply("0"))
    start = clock.now
    for n in range(1, 4):
        await out.edit(ref, Reply(str(n)))
    assert clock.now - start >= 2.0, "3 edits need at least 2 s between the 1st and 3rd"


async def test_groups_get_at_most_20_messages_a_minute(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    group = fake.group()
    out = responder(ptb, group, clock)
    start = clock.now
    for n in range(21):
        await out.send(Reply(f"message {n}"))
    assert clock.now - start >= 60.0
    assert len(fake.messages_in(group)) == 21


async def test_flood_control_is_waited_out_and_the_message_arrives(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = fake.private_chat(fake.user())
    fake.flood("sendMessage", 12, times=2)
    await responder(ptb, chat, clock).send(Reply("hello"))
    assert clock.slept.count(12) == 2
    assert [m.text for m in fake.messages_in(chat)] == ["hello"]


async def test_emoji_count_twice_when_splitting(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = fake.private_chat(fake.user())
    await responder(ptb, chat, clock).send(Reply("😀" * 3000))
    lengths = [len(m.text) for m in fake.messages_in(chat)]
    assert len(lengths) == 2 and max(lengths) <= 2048, "4096 UTF-16 units = 2048 emoji"
    assert sum(lengths) == 3000


async def test_a_foreign_message_reference_is_a_delivery_error(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = fake.private_chat(fake.user())
    with pytest.raises(DeliveryError):
        await responder(ptb, chat, clock).edit(MessageRef(str(chat.id), "m7"), Reply("x"))


async def test_a_photo_telegram_refuses_is_sent_as_a_document(
    fake: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = fake.private_chat(fake.user())
    fake.fail("sendPhoto", description="Bad Request: PHOTO_INVALID_DIMENSIONS")
    await responder(ptb, chat, clock).send(Reply("tall", files=(image("tall.png"),)))
    [document] = fake.messages_in(chat)
    assert (document.kind, document.text) == ("document", "tall")
