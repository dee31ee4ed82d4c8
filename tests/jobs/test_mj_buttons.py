"""Every Midjourney button kind sends its exact customId; the modal flows; ownership."""

from __future__ import annotations

import base64
import dataclasses
import struct
import zlib
from pathlib import Path
from typing import Any

from bot.core.models import UserRef
from bot.media import image_size
from bot.sim import Fault, SimRelay
from bot.sim.media import make_png
from bot.store.base import JobState
from tests.jobs.harness import (
    BOB,
    Bot,
    FakeClock,
    image_attachment,
    open_bot,
    platform_limits,
)

UPSCALED = ["Upscale (Subtle)", "Upscale (Creative)", "🪄 Vary (Subtle)", "🪄 Vary (Strong)",
            "🖌️ Vary (Region)", "🔍 Zoom Out 2x", "🔍 Zoom Out 1.5x", "🔍 Custom Zoom",
            "⬅️", "➡️", "⬆️", "⬇️"]


def untagged(body: Any) -> dict[str, Any]:
    """A submit body without its job tag (``state``), which every submit carries."""
    sent = dict(body)
    assert str(sent.pop("state", "")).startswith("relaybot-"), "the job's tag rides along"
    return sent


async def _result_of(harness: Bot, command: str) -> None:
    await harness.command(command)
    await harness.settle()


def _custom_ids_of_task(sim: SimRelay, task_id: str) -> dict[str, str]:
    return {(b["emoji"] + " " + b["label"]).strip(): b["customId"]
            for b in sim.mj_task(task_id)["buttons"]}


async def _press_and_check(harness: Bot, sim: SimRelay, label: str, custom_id: str,
                           task_id: str) -> None:
    before = len(sim.requests_to("/mj/submit/action"))
    await harness.press(label, event=harness.recorder.last_with_buttons())
    actions = sim.requests_to("/mj/submit/action")
    assert len(actions) == before + 1, label
    assert untagged(actions[-1].json) == {"customId": custom_id, "taskId": task_id}, label


async def test_grid_buttons_send_exact_custom_ids(harness: Bot, sim: SimRelay) -> None:
    await _result_of(harness, "/imagine a lighthouse")
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    task_id = job.relay_task_id or ""
    wire = {b["label"] or b["emoji"]: b["customId"] for b in sim.mj_task(task_id)["buttons"]}
    grid = harness.recorder.last_with_buttons()
    for label in ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]:
        before = len(sim.requests_to("/mj/submit/action"))
        await harness.press(label, event=grid)
        actions = sim.requests_to("/mj/submit/action")
        assert len(actions) == before + 1
        assert untagged(actions[-1].json) == {"customId": wire[label], "taskId": task_id}
    jobs = await harness.store.list_jobs_for_owner("test", "alice")
    assert len(jobs) == 10  # every press started a tracked job


async def test_upscale_buttons_and_bookmark_hidden(harness: Bot, sim: SimRelay) -> None:
    await _result_of(harness, "/imagine a harbour")
    await harness.press("U2")
    await harness.settle()
    upscaled = harness.recorder.last_with_buttons()
    shown = [b.label for row in upscaled.reply.buttons for b in row]
    assert shown == UPSCALED  # ❤️ bookmark hidden, custom emoji names left out
    jobs = await harness.store.list_jobs_for_owner("test", "alice")
    task_id = jobs[0].relay_task_id or ""
    wire = _custom_ids_of_task(sim, task_id)
    wire = {k.replace("upscale_1 ", ""): v for k, v in wire.items()}
    for label in UPSCALED:
        if label in ("🖌️ Vary (Region)", "🔍 Custom Zoom"):
            continue  # modal flows: see below
        before = len(sim.requests_to("/mj/submit/action"))
        await harness.press(label, event=upscaled)
        actions = sim.requests_to("/mj/submit/action")
        assert len(actions) == before + 1
        assert untagged(actions[-1].json) == {"customId": wire[label], "taskId": task_id}, label


async def test_a_chinese_user_gets_midjourney_buttons_in_chinese(
    harness: Bot, sim: SimRelay
) -> None:
    li = UserRef("li", "Li", "zh-CN")
    await harness.command("/imagine a harbour", user=li)
    await harness.settle()
    await harness.press("U2", user=li)
    await harness.settle()
    upscaled = harness.recorder.last_with_buttons()
    shown = [b.label for row in upscaled.reply.buttons for b in row]
    assert shown[:8] == ["放大（细微）", "放大（创意）", "🪄 变换（细微）", "🪄 变换（强烈）",
                         "🖌️ 局部重绘", "🔍 扩图 2x", "🔍 扩图 1.5x", "🔍 自定义扩图"]
    await harness.press("🪄 变换（强烈）", user=li, event=upscaled)
    (*_, vary) = sim.requests_to("/mj/submit/action")
    assert "high_variation" in vary.json["customId"].lower()
    status = harness.recorder.sent()[-1].reply.text
    assert status.startswith("🎨 Midjourney · 🪄 变换（强烈）") and "排队中" in status


async def test_make_square_and_unknown_action(harness: Bot, sim: SimRelay) -> None:
    """A button the relay did not list itself (Make Square) still goes out verbatim; the
    relay's unknown_action answer becomes a clear message."""
    await harness.command("/imagine a wide valley --ar 16:9")
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    task = sim.finish_mj_task(job.relay_task_id or "")
    custom_id = f"MJ::Outpaint::100::1::{task['properties']['messageHash']}::SOLO"
    task["buttons"] = [{"customId": custom_id, "emoji": "↔️", "label": "Make Square",
                        "type": 2, "style": 2}]
    sim.add_fault(Fault("POST", "/mj/task/list-by-condition", status=200, json_body=[task]))
    await harness.settle()

    await harness.press("↔️ Make Square")
    assert untagged(sim.requests_to("/mj/submit/action")[-1].json) == {
        "customId": custom_id, "taskId": job.relay_task_id}
    assert "does not support this button" in harness.recorder.texts()[-1]


async def _upscaled(harness: Bot) -> None:
    await _result_of(harness, "/imagine a red barn")
    await harness.press("U1")
    await harness.settle()


def _png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and raw greyscale rows (filter bytes removed) of our mask PNGs."""
    width, height = image_size(data) or (0, 0)
    body = data[8:]
    idat = b""
    while body:
        (length,) = struct.unpack(">I", body[:4])
        kind, chunk = body[4:8], body[8 : 8 + length]
        if kind == b"IDAT":
            idat += chunk
        body = body[12 + length :]
    raw = zlib.decompress(idat)
    rows = b"".join(raw[y * (width + 1) + 1 : (y + 1) * (width + 1)] for y in range(height))
    return width, height, rows


async def test_custom_zoom_asks_with_prefill_and_checks_zoom(harness: Bot, sim: SimRelay) -> None:
    await _upscaled(harness)
    harness.recorder.answers += ["a red barn at dusk", "a red barn --zoom 3",
                             "a red barn --zoom 1.8"]
    await harness.press("🔍 Custom Zoom")

    asked = harness.recorder.asked
    assert len(asked) == 3 and "--zoom" in asked[0][0]
    assert asked[0][1] == "a red barn --zoom 1.5"  # the final prompt, pre-filled
    assert sum("from 1 to 2" in text for text in harness.recorder.texts()) == 2
    (modal,) = sim.requests_to("/mj/submit/modal")
    assert modal.json["prompt"] == "a red barn --zoom 1.8"
    await harness.settle()
    jobs = await harness.store.list_jobs_for_owner("test", "alice")
    zoomed = [j for j in jobs if j.relay_task_id == modal.json["taskId"]]
    assert zoomed and zoomed[0].state is JobState.DELIVERED
    assert [j.outcome for j in jobs] == [JobState.SUCCEEDED] * 3, "imagine, U1, zoom: no stray"
    await harness.press("🔍 Custom Zoom")
    assert len(sim.requests_to("/mj/submit/modal")) == 1, "the zoom was done: not again"
    assert "Already done" in harness.recorder.texts()[-1]


async def test_vary_region_by_rectangle_builds_mask(harness: Bot, sim: SimRelay) -> None:
    await _upscaled(harness)
    harness.recorder.answers += ["10 10 50", "10 20 50 60 | a blue barn"]
    await harness.press("🖌️ Vary (Region)")

    assert "four numbers" in harness.recorder.texts()[-2]
    (modal,) = sim.requests_to("/mj/submit/modal")
    assert modal.json["prompt"] == "a blue barn"
    mask_uri = modal.json["maskBase64"]
    assert mask_uri.startswith("data:image/png;base64,")
    width, height, pixels = _png_pixels(base64.b64decode(mask_uri.split(",", 1)[1]))
    assert (width, height) == (256, 256)  # the upscaled image's size
    assert pixels[100 * width + 60] == 255  # inside 10–50 % x, 20–60 % y: redraw
    assert pixels[30 * width + 60] == 0  # above the region
    assert pixels[5 * width + 5] == 0 and pixels[200 * width + 200] == 0
    await harness.settle()
    assert harness.recorder.sent()[-1].reply.files  # the varied image arrives


async def test_vary_region_by_mask_image(harness: Bot, sim: SimRelay) -> None:
    await _upscaled(harness)
    harness.recorder.answers += ["mask"]
    await harness.press("🖌️ Vary (Region)")
    assert "/mask" in harness.recorder.texts()[-1]
    assert not sim.requests_to("/mj/submit/modal")

    mask = make_png(256, 256, (255, 255, 255))
    await harness.command("/mask a green barn", image_attachment(mask, name="mask.png"))
    (modal,) = sim.requests_to("/mj/submit/modal")
    assert base64.b64decode(modal.json["maskBase64"].split(",", 1)[1]) == mask
    assert modal.json["prompt"] == "a green barn"
    await harness.command("/mask", image_attachment(mask))  # nothing is waiting any more
    assert "No Vary (Region) is waiting" in harness.recorder.texts()[-1]


async def test_describe_and_shorten_choices(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/describe", image_attachment())
    (describe,) = sim.requests_to("/mj/submit/describe")
    assert describe.json["base64"].startswith("data:image/png;base64,")
    await harness.settle()
    result = harness.recorder.last_with_buttons()
    assert result.reply.text.count("\ufe0f\u20e3") >= 4  # the four prompts
    shown = [b.label for row in result.reply.buttons for b in row]
    assert shown[:4] == ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]
    await harness.press("3️⃣", event=result)
    assert sim.requests_to("/mj/submit/action")[-1].json["customId"] == "MJ::Job::PicReader::3"
    await harness.settle()  # its job's grid out first: concurrent deliveries keep no order

    await harness.command("/shorten a very long prompt about a cat sitting on a mat in the sun")
    await harness.settle()
    result = harness.recorder.last_with_buttons()
    await harness.press("5️⃣", event=result)
    assert sim.requests_to("/mj/submit/action")[-1].json["customId"] == (
        "MJ::Job::PromptAnalyzer::5")


async def test_unsupported_choice_falls_back_to_imagine(tmp_path: Path) -> None:
    async with SimRelay("sk-sim", steps=3, new_api_mode=True) as relay, open_bot(
        relay, tmp_path / "n.sqlite3", FakeClock()
    ) as bot:
        await bot.command("/describe", image_attachment())
        await bot.settle()
        await bot.press("2️⃣")
        imagines = relay.requests_to("/mj/submit/imagine")
        assert len(imagines) == 1 and "(simulated)" in imagines[0].json["prompt"]
        assert "imagine the chosen prompt" in bot.recorder.texts()[-2]


async def test_only_the_owner_may_press(harness: Bot, sim: SimRelay, tmp_path: Path) -> None:
    await _result_of(harness, "/imagine a cottage")
    await harness.press("U1", user=BOB)
    assert "Only the person" in harness.recorder.texts()[-1]
    assert not sim.requests_to("/mj/submit/action")

    async with open_bot(sim, tmp_path / "bot.sqlite3", harness.clock, harness.recorder,
                        anyone_can_press=True) as open_to_all:
        await open_to_all.press("U1", user=BOB)
    assert len(sim.requests_to("/mj/submit/action")) == 1


async def test_a_result_longer_than_a_message_is_split_with_buttons_last(harness: Bot) -> None:
    # A platform with room for only 300 characters (the describe answer is longer).
    harness.outlet.responder._limits = dataclasses.replace(platform_limits(), max_text=300)
    await harness.command("/describe", image_attachment())
    await harness.settle()
    results = [e for e in harness.recorder.sent() if "\ufe0f\u20e3" in e.reply.text]
    assert len(results) >= 2
    assert all(len(e.reply.text) <= 300 for e in results)
    assert not any(e.reply.buttons for e in results[:-1])
    assert [b.label for b in results[-1].reply.buttons[0]][:4] == ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]


async def test_a_failed_upscale_frees_its_button(harness: Bot, sim: SimRelay) -> None:
    await _result_of(harness, "/imagine a lighthouse")
    grid = harness.recorder.last_with_buttons()
    await harness.press("U1", event=grid)
    await harness.press("U1", event=grid)
    assert len(sim.requests_to("/mj/submit/action")) == 1
    [*_, upscale] = sim.mj_task_ids()
    sim.set_mj_task_status(upscale, "FAILURE", fail_reason="upstream hiccup")
    await harness.settle()
    assert any("upstream hiccup" in text for text in harness.recorder.texts())
    await harness.press("U1", event=grid)
    assert len(sim.requests_to("/mj/submit/action")) == 2, "a retry after the failure"


async def test_custom_zoom_pressed_again_asks_again_without_another_action(
    harness: Bot, sim: SimRelay
) -> None:
    """A dismissed form is reopened by pressing again: the same question about the same
    waiting task, no second paid action; the answer confirms once."""
    await _upscaled(harness)
    actions = len(sim.requests_to("/mj/submit/action"))
    await harness.press("🔍 Custom Zoom")  # asked; nobody answers
    await harness.press("🔍 Custom Zoom")
    assert len(sim.requests_to("/mj/submit/action")) == actions + 1
    assert (
        len(harness.recorder.asked) == 2 and harness.recorder.asked[0] == harness.recorder.asked[1]
    )
    assert await harness.answer("a red barn --zoom 1.4")
    (modal,) = sim.requests_to("/mj/submit/modal")
    assert modal.json["prompt"] == "a red barn --zoom 1.4"
