"""The fake Bot API speaks well enough for python-telegram-bot 22 (no adapter involved)."""

from __future__ import annotations

import pytest
from telegram import Bot, InputMediaPhoto
from telegram.error import BadRequest, RetryAfter

from tests.fakes.telegram_api import FakeTelegram


async def test_get_me_and_send_message(tg: FakeTelegram, ptb: Bot) -> None:
    alice = tg.user()
    chat = tg.private_chat(alice)
    assert ptb.username == "relay_test_bot"
    sent = await ptb.send_message(chat.id, "<b>hi</b> &amp; bye", parse_mode="HTML")
    assert sent.text == "hi & bye"
    [shown] = tg.messages_in(chat)
    assert shown.text == "hi & bye"


async def test_updates_long_poll_and_offset(tg: FakeTelegram, ptb: Bot) -> None:
    alice = tg.user()
    chat = tg.private_chat(alice)
    tg.send_text(chat, alice, "/start@relay_test_bot now")
    updates = await ptb.get_updates(timeout=5)
    assert updates[0].message is not None
    assert updates[0].message.text == "/start@relay_test_bot now"
    entity = updates[0].message.entities[0]
    assert entity.type == "bot_command"
    assert await ptb.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_photo_upload_album_and_download(tg: FakeTelegram, ptb: Bot) -> None:
    alice = tg.user()
    chat = tg.private_chat(alice)
    message = await ptb.send_photo(chat.id, b"PNGDATA", caption="cap", filename="a.png")
    assert message.photo[-1].file_id
    assert tg.sent("sendPhoto")[0].file().data == b"PNGDATA"
    album = await ptb.send_media_group(
        chat.id, [InputMediaPhoto(b"one", filename="1.png"), InputMediaPhoto(b"two")]
    )
    assert len(album) == 2
    file = await ptb.get_file(album[1].photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == b"two"


async def test_big_file_edit_errors_and_flood(tg: FakeTelegram, ptb: Bot) -> None:
    alice = tg.user()
    chat = tg.private_chat(alice)
    big = tg.send_document(chat, alice, b"x", filename="big.bin", mime="application/zip",
                             declared_size=25 * 2**20)
    with pytest.raises(BadRequest, match="too big"):
        await ptb.get_file(big["document"]["file_id"])
    sent = await ptb.send_message(chat.id, "same")
    with pytest.raises(BadRequest, match="not modified"):
        await ptb.edit_message_text("same", chat.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await ptb.send_message(chat.id, "a < b", parse_mode="HTML")
    tg.flood("sendMessage", 3)
    with pytest.raises(RetryAfter):
        await ptb.send_message(chat.id, "hi")
    await ptb.send_message(chat.id, "hi")


async def test_edit_flood_control_is_per_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as the tg fixture does: RetryAfter warns
    async with (
        FakeTelegram(edit_interval_s=3600.0) as fake,
        Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot,
    ):
        chat = fake.private_chat(fake.user())
        first = await bot.send_message(chat.id, "one")
        other = await bot.send_message(chat.id, "other")
        await bot.edit_message_text("two", chat.id, first.message_id)
        with pytest.raises(RetryAfter):
            await bot.edit_message_text("three", chat.id, first.message_id)
        await bot.edit_message_text("other, edited", chat.id, other.message_id)
        assert [m.text for m in fake.messages_in(chat)] == ["two", "other, edited"]
        assert fake.protocol_errors == []


async def test_delete_message_like_telegram(tg: FakeTelegram, ptb: Bot) -> None:
    alice = tg.user()
    chat = tg.private_chat(alice)
    group = tg.group()
    sent = await ptb.send_message(chat.id, "soon gone")
    kept = await ptb.send_message(chat.id, "stays")
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await ptb.delete_message(group.id, sent.message_id)  # ids belong to their chat
    assert await ptb.delete_message(chat.id, sent.message_id) is True
    assert [m.text for m in tg.messages_in(chat)] == ["stays"]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await ptb.delete_message(chat.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await ptb.edit_message_text("back?", chat.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await ptb.send_message(chat.id, "re", reply_to_message_id=sent.message_id)
    said = tg.send_text(group, alice, "hello group")
    with pytest.raises(BadRequest, match=r"(?i)message can.t be deleted"):
        await ptb.delete_message(group.id, said["message_id"])  # not an admin
    assert kept.text == "stays"
