"""What a broken or hostile relay sends is bounded and never shows a secret."""

from __future__ import annotations

from bot.sim import Fault
from tests.commands.conftest import PLATFORM, Bot, file_bytes
from tests.relay_sim import SIM_KEY as API_KEY

CHAT = "/v1/chat/completions"
IMAGES = "/v1/images/generations"
BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


async def test_a_relay_error_echoing_the_key_and_a_bot_token_is_shown_redacted(bot: Bot) -> None:
    message = (f"invalid request from key {API_KEY} (Authorization: Bearer {API_KEY}), "
               f"see https://api.telegram.org/file/bot{BOT_TOKEN}/photos/1.jpg")
    bot.sim.add_fault(Fault("POST", CHAT, status=400, json_body={
        "error": {"message": message, "type": "invalid_request_error", "code": None}}))
    out = await bot.run("/chat hello")
    (text,) = out.texts()
    assert "invalid request from key ***" in text
    assert API_KEY not in text and BOT_TOKEN not in text and "/file/bot" not in text


async def test_an_endless_stream_stops_at_max_answer_chars_with_a_note(bot: Bot) -> None:
    bot.bot_options["max_answer_chars"] = 3000
    bot.sim.add_fault(Fault("POST", CHAT, endless=True))
    out = await bot.run("/chat go on forever")
    texts = out.texts()
    shown = "".join(texts)
    assert "(simulated) and on" in shown
    assert "stopped at 3000 characters" in texts[-1]
    assert len(shown) < 3000 + 200  # the answer, the note and message breaks
    assert "still writing" not in shown


async def test_a_200_mb_body_is_refused_after_the_cap(bot: Bot) -> None:
    bot.relay_options["max_response_mb"] = 2
    bot.sim.add_fault(Fault("POST", IMAGES, status=200, body_mb=200))
    out = await bot.run("/dalle a fox")
    assert "over 2 MB" in out.last["text"] and "stopped reading" in out.last["text"]


async def test_data_uris_in_an_answer_become_files_or_are_dropped_never_text(bot: Bot) -> None:
    out = await bot.run("/chat show me [inline]")
    shown = "\n".join(out.texts())
    assert "A red square:" in shown and "That is all." in shown
    assert "base64" not in shown and "data:" not in shown
    assert "Left out 1 embedded file(s)" in shown
    (picture,) = out.attachments()
    assert picture["kind"] == "image"
    assert (await file_bytes(picture["path"])).startswith(b"\x89PNG")
    async with bot.store() as store:
        conversation = await store.active_conversation(PLATFORM, "console", "")
        remembered = await store.history(conversation.id, 100_000)
    assert "base64" not in remembered[-1].content  # history keeps the prose only
