"""The Bot API on aiohttp (adapters.telegram.transport) behaves like PTB's own httpx request:
JSON and multipart bodies, long polls, downloads, Bot API errors, timeouts, failures."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from adapters.telegram.connect import bot_api_request
from adapters.telegram.transport import AiohttpRequest
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
async def direct(tg: FakeTelegram) -> AsyncIterator[Bot]:
    """PTB's Bot with the request the adapter uses when no proxy is configured."""
    request = bot_api_request(None, pool_size=8)
    assert isinstance(request, AiohttpRequest)
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url,
                   request=request, get_updates_request=bot_api_request(None, pool_size=1)
                   ) as bot:
        yield bot


async def test_messages_updates_uploads_and_downloads(tg: FakeTelegram, direct: Bot) -> None:
    alice = tg.user()
    chat = tg.private_chat(alice)
    sent = await direct.send_message(chat.id, "<b>hi</b> &amp; bye", parse_mode="HTML")
    assert sent.text == "hi & bye" and tg.messages_in(chat)[0].text == "hi & bye"
    tg.send_text(chat, alice, "/start now")
    updates = await direct.get_updates(timeout=5)
    assert updates[0].message is not None and updates[0].message.text == "/start now"
    photo = await direct.send_photo(chat.id, b"PNGDATA", caption="cap", filename="a.png")
    assert tg.sent("sendPhoto")[0].file().data == b"PNGDATA"
    assert tg.sent("sendPhoto")[0].params["caption"] == "cap"
    album = await direct.send_media_group(
        chat.id, [InputMediaPhoto(b"one", filename="1.png"), InputMediaPhoto(b"two")]
    )
    assert len(album) == 2 and photo.photo[-1].file_id
    file = await direct.get_file(album[1].photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == b"two"


async def test_bot_api_errors_reach_ptb_as_its_own(tg: FakeTelegram, direct: Bot) -> None:
    chat = tg.private_chat(tg.user())
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await direct.send_message(chat.id, "a < b", parse_mode="HTML")
    tg.flood("sendMessage", 3)
    with pytest.raises(RetryAfter):
        await direct.send_message(chat.id, "too soon")


async def test_an_unanswered_call_times_out(tg: FakeTelegram, direct: Bot) -> None:
    chat = tg.private_chat(tg.user())
    gate = asyncio.Event()
    tg.hold("sendMessage", gate)
    try:
        with pytest.raises(TimedOut):
            await direct.send_message(chat.id, "anyone?", read_timeout=0.05)
    finally:
        gate.set()


async def test_an_unreachable_bot_api_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = Bot("1:x", base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest(pool_size=1))
    with pytest.raises(NetworkError):
        await bot.initialize()  # getMe, on a port nobody listens on
    await bot.shutdown()


def test_a_proxy_keeps_ptbs_own_request() -> None:
    """httpx speaks every proxy form the config allows (SOCKS too); aiohttp alone does not."""
    assert isinstance(bot_api_request("socks5://127.0.0.1:1080", pool_size=1), HTTPXRequest)


async def test_the_bot_api_gets_the_parameters_ptbs_own_request_sends(
    tg: FakeTelegram, direct: Bot
) -> None:
    """A JSON body here, PTB's urlencoded form there: the same values at the Bot API."""
    alice = tg.user()
    chat = tg.private_chat(alice)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Again 🔁", callback_data="k-1")]])

    async def calls(bot: Bot) -> None:
        await bot.send_message(
            chat.id, "<b>你好</b> &amp; 12 \"quotes\" 😀", parse_mode="HTML", reply_markup=markup,
            reply_parameters=ReplyParameters(7, allow_sending_without_reply=True),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            disable_notification=True,
        )
        await bot.send_chat_action(chat.id, ChatAction.TYPING)
        await bot.get_updates(offset=3, timeout=0, allowed_updates=["message"])

    await calls(direct)
    async with Bot(tg.token, base_url=tg.base_url, request=HTTPXRequest()) as ptbs:
        await calls(ptbs)
    for method in ("sendMessage", "sendChatAction", "getUpdates"):
        ours, theirs = [call.params for call in tg.calls if call.method == method]
        assert ours == theirs, method
    assert [m.text for m in tg.messages_in(chat)] == ['你好 & 12 "quotes" 😀'] * 2
