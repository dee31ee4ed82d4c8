"""Images in embeds: the text as the embed's description, the image from the upload,
buttons kept; progress previews updated in place; the limits Discord enforces."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.core.models import ChatRef, OutgoingFile, Reply
from bot.sim import media
from tests.discord.conftest import Running
from tests.discord.test_buttons import buttons_of
from tests.discord.test_jobs import GRID, bot_messages
from tests.fakes.clock import Jobs
from tests.fakes.discord_api import TOKEN, FakeDiscord, shown_text

PNG = media.make_png(16, 16, (200, 30, 30))


def image_of(message: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """The attachment the message's embed number ``index`` shows."""
    url = message["embeds"][index]["image"]["url"]
    return next(a for a in message["attachments"] if a["url"] == url)


async def test_imagine_progress_and_result_show_the_image_in_an_embed(
    dcbot: Running, jobs: Jobs
) -> None:
    fake = dcbot.fake
    asked = await fake.slash("imagine", {"prompt": "a red fox"})
    await fake.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    status_id = asked.original_id or ""
    status_edits = f"/channels/{fake.channel_id}/messages/{status_id}"
    await jobs.tick()  # running, with a preview image
    [preview] = [c for c in fake.calls_to("PATCH", status_edits) if c.files]
    [embed] = preview.embeds
    assert "%" in embed["description"] and "a red fox" in embed["description"]
    assert embed["image"]["url"] == f"attachment://{preview.files[0].filename}"
    assert preview.content is None  # the text lives in the embed only
    shown = fake.messages[status_id]
    assert image_of(shown)["content_type"].startswith("image/")

    await jobs.tick()
    await jobs.tick()
    [result] = [m for m in bot_messages(fake) if m.get("components")]
    assert result["content"] == ""
    assert "a red fox" in result["embeds"][0]["description"]
    assert "#1" in result["embeds"][0]["description"]  # the job's number
    assert image_of(result)["content_type"] == "image/png"
    assert list(buttons_of(result)) == GRID
    assert result["message_reference"]["message_id"] == status_id
    # The last status edit changed the text only: the preview stays inside the embed.
    final = fake.messages[status_id]
    assert "%" not in shown_text(final) and image_of(final)
    sent = [c for c in fake.calls if c.method in ("POST", "PATCH") and c.message.get("embeds")]
    assert sent and all(c.message["allowed_mentions"]["parse"] == [] for c in sent)


async def test_u1_result_is_an_embed_with_buttons(dcbot: Running, jobs: Jobs) -> None:
    fake = dcbot.fake
    await fake.slash("imagine", {"prompt": "a lighthouse"})
    await fake.wait_for("PATCH", "/webhooks/*/*/messages/@original")
    for _ in range(3):
        await jobs.tick()
    [grid] = [m for m in bot_messages(fake) if m.get("components")]
    pressed = await fake.click(grid["id"], buttons_of(grid)["U1"]["custom_id"])
    await fake.wait_for("POST", f"/webhooks/*/{pressed.token}")
    for _ in range(3):
        await jobs.tick()
    upscaled = [m for m in bot_messages(fake) if m.get("components")][-1]
    assert upscaled["id"] != grid["id"]
    assert image_of(upscaled) and "a lighthouse" in upscaled["embeds"][0]["description"]
    assert any("Custom Zoom" in label for label in buttons_of(upscaled))


async def test_dalle_answers_with_the_image_in_an_embed(dcbot: Running) -> None:
    fake = dcbot.fake
    asked = await fake.slash("dalle", {"prompt": "a teapot on the moon"})
    [answer] = await fake.wait_for(
        "PATCH", f"/webhooks/*/{asked.token}/messages/@original", where=lambda c: bool(c.files)
    )
    assert answer.json["allowed_mentions"]["parse"] == []
    message = fake.messages[asked.original_id or ""]
    assert message["content"] == ""
    assert "DALL·E" in message["embeds"][0]["description"]
    assert image_of(message)["filename"].startswith("dalle-")


async def test_text_with_an_image_may_be_longer_than_2000_characters(dcbot: Running) -> None:
    fake = dcbot.fake
    channel = dcbot.adapter.responder_for(ChatRef("discord", fake.channel_id, "", False))
    image = OutgoingFile(PNG, "my picture (1).png", "image", "image/png")
    caption = "word " * 700  # 3,500 characters: one message, in the embed
    ref = await channel.send(Reply(caption, files=(image, image)))
    message = fake.messages[ref.message_id]
    assert message["embeds"][0]["description"] == caption
    assert [image_of(message, i)["filename"] for i in range(2)] == [
        "my_picture_1.png", "my_picture_1-2.png"]

    longer = await channel.send(Reply("word " * 1000, files=(image,)))  # 5,000: split
    pieces = [m for m in bot_messages(fake) if m["id"] != ref.message_id]
    assert [bool(m["embeds"]) for m in pieces] == [False] * (len(pieces) - 1) + [True]
    assert all(len(m["content"]) <= 2000 for m in pieces)
    assert pieces[-1]["id"] == longer.message_id and image_of(pieces[-1])


async def test_plain_text_stays_a_plain_message(dcbot: Running) -> None:
    fake = dcbot.fake
    channel = dcbot.adapter.responder_for(ChatRef("discord", fake.channel_id, "", False))
    audio = OutgoingFile(b"ID3" + bytes(64), "song.mp3", "audio", "audio/mpeg")
    ref = await channel.send(Reply("just words", files=(audio,)))
    message = fake.messages[ref.message_id]
    assert message["content"] == "just words" and message["embeds"] == []
    assert message["attachments"][0]["filename"] == "song.mp3"


async def _post(dc: FakeDiscord, body: dict[str, Any], *, image: str = "") -> int:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps(body), content_type="application/json")
    if image:
        form.add_field("files[0]", PNG, filename=image, content_type="image/png")
    async with aiohttp.ClientSession() as session, session.post(
        f"{dc.api_base}/channels/{dc.channel_id}/messages",
        data=form, headers={"Authorization": f"Bot {TOKEN}"},
    ) as response:
        return response.status


async def test_the_fake_refuses_embeds_over_discords_limits(dc: FakeDiscord) -> None:
    image = {"image": {"url": "attachment://a.png"}}
    assert await _post(dc, {"embeds": [{"description": "ok", **image}]}, image="a.png") == 200
    refused: list[dict[str, Any]] = [
        {"embeds": [{"description": "x" * 4097}]},
        {"embeds": [{"description": "x" * 4000}, {"description": "y" * 2001}]},
        {"embeds": [{"description": "no such file", "image": {"url": "attachment://b.png"}}]},
        {"content": "z" * 2001},
        {"content": ""},
    ]
    for body in refused:
        assert await _post(dc, body, image="a.png" if "embeds" in body else "") == 400
    problems = list(dc.unknown)
    dc.unknown.clear()  # expected here; the fixture fails the test on any other
    assert any("4097 characters" in p for p in problems)
    assert any("6001 characters in all" in p for p in problems)
    assert any("no attachment named 'b.png'" in p for p in problems)
    assert any("content: 2001 characters" in p for p in problems)
    assert any("empty message" in p for p in problems)
