"""/sd and /draw stream: words appear as they come, pictures follow as files.

Chat drawing can take minutes, longer than ``relay.timeout_s``; streamed, the timeout
only bounds the silence between chunks.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.commands import all_commands
from bot.commands.images import ProseWithoutImages
from bot.core.texts import t
from bot.relay import extract_images
from bot.sim import Fault, SimRelay
from tests.commands.conftest import Bot, Output, body_of, file_bytes
from tests.relay_sim import SIM_KEY

CHAT = "/v1/chat/completions"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def slow_sim() -> AsyncIterator[SimRelay]:
    async with SimRelay(api_key=SIM_KEY, chunk_delay_s=0.01) as relay:
        yield relay


@pytest.fixture
def slow_bot(slow_sim: SimRelay, tmp_path: Path) -> Bot:
    return Bot(slow_sim, tmp_path)


def events_of(out: Output, message_id: str) -> list[dict[str, Any]]:
    return [e for e in out.events if e["message_id"] == message_id]


def chat_answer(content: str) -> dict[str, Any]:
    """A whole (non-streamed) chat completion body, as a relay ignoring stream=true sends."""
    return {
        "id": "chatcmpl-plain",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "stable-diffusion-api",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
    }


def picture_url(console: Bot, name: str) -> str:
    return f"{console.sim.base_url}/sim/media/image/3366cc/{name}.png?w=64&h=64"


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("/sd a blue cat sitting on a red chair in a sunny garden", "Stable Diffusion image"),
        ("/draw a green dog running along a beach at sunset", "Here is the picture"),
    ],
)
async def test_the_answer_is_edited_as_it_streams_before_the_picture_arrives(
    slow_bot: Bot, command: str, words: str
) -> None:
    out = await slow_bot.run(command)
    assert body_of(slow_bot.sim, CHAT)["stream"] is True
    answer_id = out.events[0]["message_id"]
    answer_events = events_of(out, answer_id)
    file_index = next(i for i, e in enumerate(out.events) if e["attachments"])
    edits_before_file = [
        e for e in out.events[:file_index]
        if e["message_id"] == answer_id and e["event"] == "edit"
    ]
    assert len(edits_before_file) > 1
    for event in answer_events:  # not even half a link is ever shown
        assert "![" not in event["text"] and "/sim/media/" not in event["text"]
    final = answer_events[-1]["text"]
    assert words in final and t("stream.writing") not in final
    [picture] = out.events[file_index]["attachments"]
    assert picture["kind"] == "image"
    assert (await file_bytes(picture["path"])).startswith(PNG)
    assert await slow_bot.usage() == {"image": (1, 1)}


async def test_a_relay_silent_longer_than_the_timeout_gets_the_timeout_message(
    console: Bot,
) -> None:
    console.relay_options = {"timeout_s": 0.2}
    console.sim.add_fault(Fault("POST", CHAT, delay_s=1.0, passthrough=True))
    out = await console.run("/sd a slow cat")
    assert out.texts() == [t("error.timeout")]
    assert out.attachments() == []
    assert await console.usage() == {}


async def test_silence_between_chunks_is_what_times_out(tmp_path: Path) -> None:
    async with SimRelay(api_key=SIM_KEY, chunk_delay_s=1.0) as sim:
        bot = Bot(sim, tmp_path, relay_options={"timeout_s": 0.2})
        out = await bot.run("/draw a very slow dog")
    assert out.texts() == [t("error.timeout")]


async def test_a_relay_that_ignores_stream_still_delivers_text_and_picture(console: Bot) -> None:
    url = picture_url(console, "plain")
    content = f"Here you go.\n\n![picture]({url})\n\nEnjoy!"
    console.sim.add_fault(Fault("POST", CHAT, status=200, json_body=chat_answer(content)))
    out = await console.run("/sd a plain picture")
    answer, picture = out.messages()
    assert answer["text"] == "Here you go.\n\nEnjoy!"
    assert [a["kind"] for a in picture["attachments"]] == ["image"]
    assert await console.usage() == {"image": (1, 1)}


async def test_an_answer_that_is_only_a_picture_says_so(console: Bot) -> None:
    content = f"![]({picture_url(console, 'bare')})"
    console.sim.add_fault(Fault("POST", CHAT, status=200, json_body=chat_answer(content)))
    out = await console.run("/sd just the picture")
    answer, picture = out.messages()
    assert answer["text"] == t("draw.ready")
    assert len(picture["attachments"]) == 1


async def test_an_answer_without_a_picture_says_to_rephrase(console: Bot) -> None:
    content = "I cannot draw that, but [here is a guide](https://example.org/guide).\n\n"
    console.sim.add_fault(Fault("POST", CHAT, status=200, json_body=chat_answer(content)))
    out = await console.run("/draw something odd")
    assert out.texts() == [f"{content}{t('images.none')}"]  # one blank line, not two


async def test_a_stream_cut_after_the_link_still_delivers_the_picture(console: Bot) -> None:
    console.sim.add_fault(Fault("POST", CHAT, truncate=True))
    out = await console.run("/sd a cat drawn in a great many careful little strokes of colour")
    answer, picture = out.messages()
    assert answer["text"].endswith(t("stream.interrupted", reason=t("error.connection")))
    assert "![" not in answer["text"]
    assert [a["kind"] for a in picture["attachments"]] == ["image"]


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 1000])
def test_image_links_are_never_shown_however_the_text_is_chunked(chunk_size: int) -> None:
    raw = (
        "Look [a guide](https://example.org/guide) and arr[0] = 1!\n\n\n"
        '![first](https://cdn.example/a.png "title")\n\n'
        "[download](https://cdn.example/b.webp?sig=1)\n\n"
        "Wow! [not a link] (really) ![x](ftp://nope)\n\nDone."
    )
    prose = ProseWithoutImages()
    shown = ""
    for start in range(0, len(raw), chunk_size):
        shown += prose.feed(raw[start:start + chunk_size])
        assert "cdn.example" not in shown
    shown += prose.finish()
    expected = extract_images(raw)
    assert shown.strip() == expected.text_without_images
    assert tuple(prose.hidden_urls) == expected.image_urls


def test_an_unclosed_bracket_is_shown_once_the_stream_ends() -> None:
    prose = ProseWithoutImages()
    shown = prose.feed("values[1") + prose.feed(" and more")
    assert shown == "values"  # it might still become a link
    assert shown + prose.finish() == "values[1 and more"


def test_the_demo_welcome_names_only_real_commands() -> None:
    welcome = t("console.welcome")
    named = set(re.findall(r"(?<![\w!])/([a-z]+)", welcome))
    real = {spec.name for spec in all_commands()}
    assert named <= real
    assert {"dalle", "imagine", "music", "video", "tts", "settings"} <= named
    assert "!press U1" in welcome
