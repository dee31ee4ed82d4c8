"""Relay and model text reaching Telegram: no secrets, no links but web links."""

from __future__ import annotations

from bot.sim import Fault, SimRelay, media
from tests.relay_sim import SIM_KEY
from tests.telegram.conftest import Running

CHAT = "/v1/chat/completions"


def chat_answer(content: str) -> dict[str, object]:
    """A whole (not streamed) chat completion, as some relays answer a stream request."""
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}]}


async def test_a_relay_error_echoing_the_bot_token_and_the_key_never_reaches_the_chat(
    tgbot: Running, sim: SimRelay
) -> None:
    token = tgbot.fake.token  # not token-shaped: only the configured secret can hide it
    message = (f"bad upstream call with {SIM_KEY} to "
               f"{tgbot.fake.base_file_url}{token}/photos/file_1.jpg (token {token})")
    sim.add_fault(Fault("POST", CHAT, status=400, json_body={
        "error": {"message": message, "type": "invalid_request_error"}}))
    await tgbot.say("hello")
    answer = await tgbot.answer(containing="bad upstream call")
    assert "***" in answer.text
    assert token not in answer.raw and SIM_KEY not in answer.raw
    assert "/file/bot" not in answer.raw


async def test_tg_and_other_non_web_links_in_an_answer_are_plain_text(
    tgbot: Running, sim: SimRelay
) -> None:
    sim.add_fault(Fault("POST", CHAT, status=200, json_body=chat_answer(
        "Ask [this user](tg://user?id=42), [click](javascript:alert(1)) or "
        "[the docs](https://example.org/docs).")))
    await tgbot.say("who should I ask?")
    answer = await tgbot.answer(containing="the docs")
    assert answer.raw.count("<a ") == 1 and 'href="https://example.org/docs"' in answer.raw
    assert "tg://user?id=42" in answer.text  # shown, not a mention


async def test_a_file_download_error_quoting_the_file_url_is_shown_redacted(
    tgbot: Running,
) -> None:
    token = tgbot.fake.token
    tgbot.fake.fail("getFile", code=500, description=(
        f"Internal Server Error: upstream {tgbot.fake.base_file_url}{token}/photos/file_9.jpg "
        f"timed out (bot {token})"))
    tgbot.fake.send_photo(tgbot.dm, tgbot.alice, media.make_png(16, 16, (9, 9, 9)),
                        caption="what is this?")
    answer = await tgbot.answer(containing="could not download")
    assert "timed out" in answer.text
    assert token not in answer.raw and "/file/bot" not in answer.raw


async def test_a_secret_cut_by_the_length_limit_of_a_quoted_reason_is_still_hidden(
    tgbot: Running, sim: SimRelay
) -> None:
    token = tgbot.fake.token
    # The quoted reason is trimmed to 200 characters: the token starts just before the cut.
    message = "bad upstream call " + "x" * 170 + f" {token} and more"
    sim.add_fault(Fault("POST", CHAT, status=400, json_body={
        "error": {"message": message, "type": "invalid_request_error"}}))
    await tgbot.say("hello")
    answer = await tgbot.answer(containing="bad upstream call")
    assert token[:6] not in answer.raw
