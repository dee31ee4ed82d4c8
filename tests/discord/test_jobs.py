"""Midjourney, Suno and Luma on Discord: progress in the channel, results with buttons,
U1, Custom Zoom's modal, /describe's attachment, /music and /video files."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sim import SimRelay, media
from tests.discord.conftest import Running
from tests.discord.test_buttons import buttons_of
from tests.fakes.clock import Jobs
from tests.fakes.discord_api import FakeDiscord, LocalFile
from tests.fakes.discord_records import InteractionState

pytestmark = pytest.mark.sim(steps=2)

GRID = ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]


def bot_messages(dc: FakeDiscord) -> list[dict[str, Any]]:
    return [
        m for m in dc.channel_messages(dc.channel_id)
        if m["author"]["id"] == dc.bot_user["id"]
    ]


def with_files(dc: FakeDiscord) -> list[dict[str, Any]]:
    return [m for m in bot_messages(dc) if m["attachments"] and m.get("components")]


async def imagine(dcbot: Running, jobs: Jobs, prompt: str) -> dict[str, Any]:
    """Run /imagine to the end; the result message (image + buttons)."""
    fake = dcbot.fake
    asked = await fake.slash("imagine", {"prompt": prompt})
    await fake.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    for _ in range(3):
        await jobs.tick()
    [result] = with_files(fake)
    return result


async def test_imagine_progress_in_the_channel_and_result_with_buttons(
    dcbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    fake = dcbot.fake
    asked = await fake.slash("imagine", {"prompt": "a red fox"})
    [status] = await fake.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    assert "a red fox" in status.shown
    status_id = asked.original_id or ""
    await jobs.tick()
    await jobs.tick()
    await jobs.tick()
    progress = fake.calls_to("PATCH", f"/channels/{fake.channel_id}/messages/{status_id}")
    assert progress, "progress is edited as a channel message (no 15-minute token)"
    assert any("%" in c.shown for c in progress)
    [result] = with_files(fake)
    assert list(buttons_of(result)) == GRID
    assert result["attachments"][0]["content_type"] == "image/png"
    assert result["message_reference"]["message_id"] == status_id
    [submit] = sim.requests_to("/mj/submit/imagine")
    assert submit.json["prompt"] == "a red fox"


async def test_pressing_u1_upscales(dcbot: Running, jobs: Jobs, sim: SimRelay) -> None:
    fake = dcbot.fake
    grid = await imagine(dcbot, jobs, "a lighthouse")
    u1 = buttons_of(grid)["U1"]
    pressed = await fake.click(grid["id"], u1["custom_id"])
    await fake.wait_for("POST", f"/webhooks/*/{pressed.token}")  # the new status message
    [action] = sim.requests_to("/mj/submit/action")
    assert action.json["customId"].startswith("MJ::JOB::upsample::1")
    for _ in range(3):
        await jobs.tick()
    results = with_files(fake)
    assert len(results) == 2
    assert "Custom Zoom" in " ".join(buttons_of(results[-1]))


async def press_custom_zoom(dcbot: Running, jobs: Jobs) -> InteractionState:
    """Imagine, upscale, press Custom Zoom; the press, which answered with a modal."""
    fake = dcbot.fake
    grid = await imagine(dcbot, jobs, "a lighthouse")
    pressed = await fake.click(grid["id"], buttons_of(grid)["U1"]["custom_id"])
    await fake.wait_for("POST", f"/webhooks/*/{pressed.token}")
    for _ in range(3):
        await jobs.tick()
    upscaled = with_files(fake)[-1]
    zoom = next(b for label, b in buttons_of(upscaled).items() if "Custom Zoom" in label)
    zooming = await fake.click(upscaled["id"], zoom["custom_id"])
    [shown] = await fake.wait_for("POST", f"/interactions/{zooming.id}/*/callback")
    assert shown.json["type"] == 9
    return zooming


async def test_custom_zoom_opens_a_prefilled_modal(
    dcbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    fake = dcbot.fake
    zooming = await press_custom_zoom(dcbot, jobs)  # asserts the press was answered with a modal
    [shown] = await fake.wait_for("POST", f"/interactions/{zooming.id}/*/callback")
    field = _modal_inputs(shown.json["data"])[0]
    assert "a lighthouse" in field["value"] and "--zoom" in field["value"]
    submitted = await fake.submit_modal(zooming, ["a lighthouse at dusk --zoom 2"])
    await fake.wait_for("POST", f"/interactions/{submitted.id}/*/callback")
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse at dusk --zoom 2"


def _modal_inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    inputs: list[dict[str, Any]] = []
    for row in modal["components"]:
        inputs += [row["component"]] if row["type"] == 18 else row["components"]
    return inputs


async def test_describe_reads_the_attachment_option(
    dcbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    fake = dcbot.fake
    png = media.make_png(16, 16, (0, 128, 255))
    await fake.slash("describe", {"image": LocalFile("pic.png", png, "image/png")})
    [describe] = await sim.wait_for_requests("/mj/submit/describe", 1)
    assert describe.json["base64"].startswith("data:image/png;base64,")
    for _ in range(3):
        await jobs.tick()
    assert any("1️⃣" in m["content"] or "1" in m["content"] for m in bot_messages(fake)[1:])


async def test_music_and_video_are_uploaded_as_files(dcbot: Running, jobs: Jobs) -> None:
    fake = dcbot.fake
    await fake.slash("music", {"prompt": "a song about tea"})
    await fake.wait_for("PATCH", "/webhooks/*/*/messages/@original")
    await fake.slash("video", {"prompt": "waves at night"})
    await fake.wait_for("PATCH", "/webhooks/*/*/messages/@original", 2)
    for _ in range(4):
        await jobs.tick()
    kinds = {
        a["content_type"].split("/")[0]
        for m in bot_messages(fake)
        for a in m["attachments"]
    }
    assert {"audio", "video"} <= kinds


async def test_second_question_after_a_modal_is_asked_in_the_channel(
    dcbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    fake = dcbot.fake
    grid = await imagine(dcbot, jobs, "a lighthouse")
    pressed = await fake.click(grid["id"], buttons_of(grid)["U1"]["custom_id"])
    await fake.wait_for("POST", f"/webhooks/*/{pressed.token}")
    for _ in range(3):
        await jobs.tick()
    upscaled = with_files(fake)[-1]
    zoom = next(b for label, b in buttons_of(upscaled).items() if "Custom Zoom" in label)
    zooming = await fake.click(upscaled["id"], zoom["custom_id"])
    await fake.wait_for("POST", f"/interactions/{zooming.id}/*/callback")
    submitted = await fake.submit_modal(zooming, ["no zoom factor here"])
    # A modal cannot answer a modal: the bot explains and asks again in the channel.
    await fake.wait_for(
        "POST", f"/webhooks/*/{submitted.token}", where=lambda c: "--zoom" in (c.content or "")
    )
    [ask] = await fake.wait_for(
        "POST",
        f"/channels/{fake.channel_id}/messages",
        where=lambda c: "Reply to this message" in (c.content or ""),
    )
    question = next(m for m in bot_messages(fake) if m["content"] == ask.content)
    await fake.post_message("a lighthouse --zoom 1.8", reply_to=question["id"])
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse --zoom 1.8"
