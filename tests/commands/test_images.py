"""/dalle, /sd and /draw: images arrive as files, links only when a download fails."""

from __future__ import annotations

import struct

from bot.core.texts import t
from bot.sim import Fault
from tests.commands.conftest import Bot, body_of, file_bytes

DALLE = "/v1/images/generations"
CHAT = "/v1/chat/completions"
MEDIA = "/sim/media/image/*/*"
DALLE_USAGE = "/dalle <prompt> [size=…] [quality=…] [style=…]"


async def png_size(path: str) -> tuple[int, int]:
    data = await file_bytes(path)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_dalle_sends_the_image_as_a_file_with_the_revised_prompt(console: Bot) -> None:
    out = await console.run("/dalle a red fox size=1792x1024 quality=HD style=natural")
    body = body_of(console.sim, DALLE)
    assert body["model"] == "dall-e-3"
    assert (body["size"], body["quality"], body["style"]) == ("1792x1024", "hd", "natural")
    [message] = out.messages()
    assert message["text"] == t("dalle.done", size="1792x1024", prompt="(simulated) a red fox")
    [attachment] = message["attachments"]
    assert attachment["kind"] == "image"
    width, height = await png_size(attachment["path"])
    assert width > height  # the wide format really arrived
    assert "http" not in message["text"]
    assert await console.usage() == {"image": (1, 1)}


async def test_dalle_size_defaults_to_the_users_setting(console: Bot) -> None:
    await console.set_setting("dalle_size", "1024x1792")
    out = await console.run("/dalle a tall tower")
    assert body_of(console.sim, DALLE)["size"] == "1024x1792"
    width, height = await png_size(out.attachments()[0]["path"])
    assert height > width


async def test_dalle_keeps_the_link_when_the_download_fails(console: Bot) -> None:
    console.sim.add_fault(Fault("GET", MEDIA, status=404, times=None))
    out = await console.run("/dalle a lost picture")
    [message] = out.messages()
    assert message["attachments"] == []
    assert f"{console.sim.base_url}/sim/media/image/" in message["text"]
    assert t("images.links", links="").strip() in message["text"]


async def test_dalle_input_checks(console: Bot) -> None:
    out = await console.run(
        "/dalle", "/dalle   ", "/dalle a fox size=800x600", "/dalle a fox style=ugly"
    )
    assert out.texts() == [
        t("input.missing", option="prompt", usage=DALLE_USAGE),
        t("input.missing", option="prompt", usage=DALLE_USAGE),
        t("input.unknown_choice", option="size", value="800x600",
          allowed="1024x1024, 1792x1024, 1024x1792"),
        t("input.unknown_choice", option="style", value="ugly", allowed="vivid, natural"),
    ]
    assert console.sim.requests_to(DALLE) == []


async def test_dalle_relay_errors_get_specific_messages(console: Bot) -> None:
    policy = await console.run("/dalle a [policy] picture")
    console.sim.add_fault(Fault("POST", DALLE, status=429, headers={"Retry-After": "12"}))
    limited = await console.run("/dalle a fox")
    console.sim.add_fault(Fault("POST", DALLE, status=503))
    no_channel = await console.run("/dalle a fox")
    assert policy.texts() == [t("error.content_policy")]
    assert limited.texts() == [t("error.rate_limited_retry", seconds=12)]
    assert no_channel.texts() == [t("error.no_channel")]
    assert await console.usage() == {}


async def test_sd_turns_the_markdown_image_into_an_attachment(console: Bot) -> None:
    out = await console.run("/sd a blue cat")
    body = body_of(console.sim, CHAT)
    assert body["model"] == "stable-diffusion-api"
    assert body["messages"][-1]["content"] == "a blue cat"
    assert body["stream"] is True
    answer, picture = out.messages()
    assert answer["text"] == "(simulated) Stable Diffusion image for: a blue cat"
    assert answer["attachments"] == []
    assert [a["kind"] for a in picture["attachments"]] == ["image"]
    assert await png_size(picture["attachments"][0]["path"]) > (0, 0)
    assert await console.usage() == {"image": (1, 1)}


async def test_draw_asks_gpt_4_all_to_draw(console: Bot) -> None:
    out = await console.run("/draw a green dog")
    body = body_of(console.sim, CHAT)
    assert body["model"] == "gpt-4-all"
    assert body["messages"][-1]["content"] == t("draw.request", prompt="a green dog")
    answer, picture = out.messages()
    assert "Here is the picture you asked for." in answer["text"]
    assert "![" not in answer["text"] and "/sim/media/" not in answer["text"]
    assert "\n\n\n" not in answer["text"]  # no gap left where the link was
    assert [a["kind"] for a in picture["attachments"]] == ["image"]


async def test_sd_link_stays_when_download_fails(console: Bot) -> None:
    console.sim.add_fault(Fault("GET", MEDIA, status=500, times=None))
    out = await console.run("/sd a fragile picture", "/sd")
    first, missing = out.texts()
    assert out.attachments() == []
    assert first.startswith("(simulated) Stable Diffusion image for: a fragile picture")
    assert t("images.links", links="").strip() in first
    assert f"{console.sim.base_url}/sim/media/image/" in first and "![" not in first
    assert missing == t("input.missing", option="prompt", usage="/sd <prompt>")


async def test_sd_no_channel(console: Bot) -> None:
    console.sim.add_fault(Fault("POST", CHAT, status=503))
    out = await console.run("/sd a cat")
    assert out.texts() == [t("error.no_channel")]
    assert await console.usage() == {}
