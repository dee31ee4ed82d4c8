"""What a broken or hostile relay sends is bounded and never shows a secret."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from bot.sim import Fault
from bot.sim.media import make_png
from tests.commands.conftest import PLATFORM, Bot, file_bytes
from tests.relay_sim import SIM_KEY as API_KEY

CHAT = "/v1/chat/completions"
IMAGES = "/v1/images/generations"
BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


async def test_a_relay_error_echoing_the_key_and_a_bot_token_is_shown_redacted(
    console: Bot,
) -> None:
    message = (f"invalid request from key {API_KEY} (Authorization: Bearer {API_KEY}), "
               f"see https://api.telegram.org/file/bot{BOT_TOKEN}/photos/1.jpg")
    console.sim.add_fault(Fault("POST", CHAT, status=400, json_body={
        "error": {"message": message, "type": "invalid_request_error", "code": None}}))
    out = await console.run("/chat hello")
    (text,) = out.texts()
    assert "invalid request from key ***" in text
    assert API_KEY not in text and BOT_TOKEN not in text and "/file/bot" not in text


async def test_an_endless_stream_stops_at_max_answer_chars_with_a_note(console: Bot) -> None:
    console.bot_options["max_answer_chars"] = 3000
    console.sim.add_fault(Fault("POST", CHAT, endless=True))
    out = await console.run("/chat go on forever")
    texts = out.texts()
    shown = "".join(texts)
    assert "(simulated) and on" in shown
    assert "stopped at 3000 characters" in texts[-1]
    assert len(shown) < 3000 + 200  # the answer, the note and message breaks
    assert "still writing" not in shown


async def test_a_200_mb_body_is_refused_after_the_cap(console: Bot) -> None:
    console.relay_options["max_response_mb"] = 2
    console.sim.add_fault(Fault("POST", IMAGES, status=200, body_mb=200))
    out = await console.run("/dalle a fox")
    assert "over 2 MB" in out.last["text"] and "stopped reading" in out.last["text"]


async def test_data_uris_in_an_answer_become_files_or_are_dropped_never_text(console: Bot) -> None:
    out = await console.run("/chat show me [inline]")
    shown = "\n".join(out.texts())
    assert "A red square:" in shown and "That is all." in shown
    assert "base64" not in shown and "data:" not in shown
    assert "Left out 1 embedded file(s)" in shown
    (picture,) = out.attachments()
    assert picture["kind"] == "image"
    assert (await file_bytes(picture["path"])).startswith(b"\x89PNG")
    async with console.store() as store:
        conversation = await store.active_conversation(PLATFORM, "console", "")
        remembered = await store.history(conversation.id, 100_000)
    assert "base64" not in remembered[-1].content  # history keeps the prose only


@dataclass
class OtherService:
    """Another service on the relay's machine (another port of the same address)."""

    url: str
    paths: list[str]


@pytest.fixture
async def other_service() -> AsyncIterator[OtherService]:
    app = web.Application()
    paths: list[str] = []

    async def real(request: web.Request) -> web.Response:
        paths.append(request.path)
        return web.Response(body=make_png(8, 8, (0, 0, 255)), content_type="image/png")

    async def lie(request: web.Request) -> web.Response:
        paths.append(request.path)
        return web.Response(body=b"internal notes, not a picture", content_type="image/png")

    app.router.add_get("/real.png", real)
    app.router.add_get("/lie.png", lie)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield OtherService(f"http://127.0.0.1:{runner.addresses[0][1]}", paths)
    await runner.cleanup()


def chat_answer(content: str) -> dict[str, object]:
    """A whole (not streamed) chat completion, as some relays answer a stream request."""
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}]}


async def test_a_link_to_another_port_of_the_relays_host_is_not_fetched(
    console: Bot, other_service: OtherService
) -> None:
    link = f"{other_service.url}/real.png"
    console.sim.add_fault(Fault("POST", CHAT, status=200,
                            json_body=chat_answer(f"(simulated) Look: ![x]({link})")))
    out = await console.run("/chat show me")
    assert other_service.paths == []
    assert out.attachments() == []
    assert link in out.last["text"]  # offered as a link, as for any image that failed


async def test_media_hosts_are_fetched_but_a_body_lying_about_its_type_is_not_sent(
    console: Bot, other_service: OtherService
) -> None:
    host = other_service.url.removeprefix("http://")
    console.relay_options["media_hosts"] = (host,)
    real, lie = f"{other_service.url}/real.png", f"{other_service.url}/lie.png"
    console.sim.add_fault(Fault("POST", CHAT, status=200, json_body=chat_answer(
        f"(simulated) Two: ![a]({real}) ![b]({lie})")))
    out = await console.run("/chat show me")
    assert sorted(other_service.paths) == ["/lie.png", "/real.png"]
    (picture,) = out.attachments()
    assert (await file_bytes(picture["path"])).startswith(b"\x89PNG")
    assert lie in out.last["text"] and real not in out.last["text"]
