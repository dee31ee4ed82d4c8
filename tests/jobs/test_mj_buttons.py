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


async def _result_of(bot: Bot, command: str) -> None:
    await bot.command(command)
    await bot.settle()


def _custom_ids_of_task(sim: SimRelay, task_id: str) -> dict[str, str]:
    return {(b["emoji"] + " " + b["label"]).strip(): b["customId"]
            for b in sim.mj_task(task_id)["buttons"]}


async def _press_and_check(bot: Bot, sim: SimRelay, label: str, custom_id: str,
                           task_id: str) -> None:
    before = len(sim.requests_to("/mj/submit/action"))
    await bot.press(label, event=bot.recorder.last_with_buttons())
    actions = sim.requests_to("/mj/submit/action")
    assert len(actions) == before + 1, label
    assert untagged(actions[-1].json) == {"customId": custom_id, "taskId": task_id}, label


async def test_grid_buttons_send_exact_custom_ids(bot: Bot, sim: SimRelay) -> None:
    await _result_of(bot, "/imagine a lighthouse")
    (job,) = await bot.store.list_jobs_for_owner("test", "alice")
    task_id = job.relay_task_id or ""
    wire = {b["label"] or b["emoji"]: b["customId"] for b in sim.mj_task(task_id)["buttons"]}
    grid = bot.recorder.last_with_buttons()
    for label in ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]:
        before = len(sim.requests_to("/mj/submit/action"))
        await bot.press(label, event=grid)
        actions = sim.requests_to("/mj/submit/action")
        assert len(actions) == before + 1
        assert untagged(actions[-1].json) == {"customId": wire[label], "taskId": task_id}
    jobs = await bot.store.list_jobs_for_owner("test", "alice")
    assert len(jobs) == 10  # every press started a tracked job


async def test_upscale_buttons_and_bookmark_hidden(bot: Bot, sim: SimRelay) -> None:
    await _result_of(bot, "/imagine a harbour")
    await bot.press("U2")
    await bot.settle()
    upscaled = bot.recorder.last_with_buttons()
    shown = [b.label for row in upscaled.reply.buttons for b in row]
    assert shown == UPSCALED  # ❤️ bookmark hidden, custom emoji names left out
    jobs = await bot.store.list_jobs_for_owner("test", "alice")
    task_id = jobs[0].relay_task_id or ""
    wire = _custom_ids_of_task(sim, task_id)
    wire = {k.replace("upscale_1 ", ""): v for k, v in wire.items()}
    for label in UPSCALED:
        if label in ("🖌️ Vary (Region)", "🔍 Custom Zoom"):
            continue  # modal flows: see below
        before = len(sim.requests_to("/mj/submit/action"))
        await bot.press(label, event=upscaled)
        actions = sim.requests_to("/mj/submit/action")
        assert len(actions) == before + 1
        assert untagged(actions[-1].json) == {"customId": wire[label], "taskId": task_id}, label


async def test_a_chinese_user_gets_midjourney_buttons_in_chinese(
    bot: Bot, sim: SimRelay
) -> None:
    li = UserRef("li", "Li", "zh-CN")
    await bot.command("/imagine a harbour", user=li)
    await bot.settle()
    await bot.press("U2", user=li)
    await bot.settle()
    upscaled = bot.recorder.last_with_buttons()
    shown = [b.label for row in upscaled.reply.buttons for b in row]
    assert shown[:8] == ["放大（细微）", "放大（创意）", "🪄 变换（细微）", "🪄 变换（强烈）",
                         "🖌️ 局部重绘", "🔍 扩图 2x", "🔍 扩图 1.5x", "🔍 自定义扩图"]
    await bot.press("🪄 变换（强烈）", user=li, event=upscaled)
    (*_, vary) = sim.requests_to("/mj/submit/action")
    assert "high_variation" in vary.json["customId"].lower()
    status = bot.recorder.sent()[-1].reply.text
    assert status.startswith("🎨 Midjourney · 🪄 变换（强烈）") and "排队中" in status


async def test_make_square_and_unknown_action(bot: Bot, sim: SimRelay) -> None:
    """A button the relay did not list itself (Make Square) still goes out verbatim; the
    relay's unknown_action answer becomes a clear message."""
    await bot.command("/imagine a wide valley --ar 16:9")
    (job,) = await bot.store.list_jobs_for_owner("test", "alice")
    task = sim.finish_mj_task(job.relay_task_id or "")
    custom_id = f"MJ::Outpaint::100::1::{task['properties']['messageHash']}::SOLO"
    task["buttons"] = [{"customId": custom_id, "emoji": "↔️", "label": "Make Square",
                        "type": 2, "style": 2}]
    sim.add_fault(Fault("POST", "/mj/task/list-by-condition", status=200, json_body=[task]))
    await bot.settle()

    await bot.press("↔️ Make Square")
    assert untagged(sim.requests_to("/mj/submit/action")[-1].json) == {
        "customId": custom_id, "taskId": job.relay_task_id}
    assert "does not support this button" in bot.recorder.texts()[-1]


async def _upscaled(bot: Bot) -> None:
    await _result_of(bot, "/imagine a red barn")
    await bot.press("U1")
    await bot.settle()


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


async def test_custom_zoom_asks_with_prefill_and_checks_zoom(bot: Bot, sim: SimRelay) -> None:
    await _upscaled(bot)
    bot.recorder.answers += ["a red barn at dusk", "a red barn --zoom 3",
                             "a red barn --zoom 1.8"]
    await bot.press("🔍 Custom Zoom")

    asked = bot.recorder.asked
    assert len(asked) == 3 and "--zoom" in asked[0][0]
    assert asked[0][1] == "a red barn --zoom 1.5"  # the final prompt, pre-filled
    assert sum("from 1 to 2" in text for text in bot.recorder.texts()) == 2
    (modal,) = sim.requests_to("/mj/submit/modal")
    assert modal.json["prompt"] == "a red barn --zoom 1.8"
    await bot.settle()
    jobs = await bot.store.list_jobs_for_owner("test", "alice")
    zoomed = [j for j in jobs if j.relay_task_id == modal.json["taskId"]]
    assert zoomed and zoomed[0].state is JobState.DELIVERED
    assert [j.outcome for j in jobs] == [JobState.SUCCEEDED] * 3, "imagine, U1, zoom: no stray"
    await bot.press("🔍 Custom Zoom")
    assert len(sim.requests_to("/mj/submit/modal")) == 1, "the zoom was done: not again"
    assert "Already done" in bot.recorder.texts()[-1]


async def test_vary_region_by_rectangle_builds_mask(bot: Bot, sim: SimRelay) -> None:
    await _upscaled(bot)
    bot.recorder.answers += ["10 10 50", "10 20 50 60 | a blue barn"]
    await bot.press("🖌️ Vary (Region)")

    assert "four numbers" in bot.recorder.texts()[-2]
    (modal,) = sim.requests_to("/mj/submit/modal")
    assert modal.json["prompt"] == "a blue barn"
    mask_uri = modal.json["maskBase64"]
    assert mask_uri.startswith("data:image/png;base64,")
    width, height, pixels = _png_pixels(base64.b64decode(mask_uri.split(",", 1)[1]))
    assert (width, height) == (256, 256)  # the upscaled image's size
    assert pixels[100 * width + 60] == 255  # inside 10–50 % x, 20–60 % y: redraw
    assert pixels[30 * width + 60] == 0  # above the region
    assert pixels[5 * width + 5] == 0 and pixels[200 * width + 200] == 0
    await bot.settle()
    assert bot.recorder.sent()[-1].reply.files  # the varied image arrives


async def test_vary_region_by_mask_image(bot: Bot, sim: SimRelay) -> None:
    await _upscaled(bot)
    bot.recorder.answers += ["mask"]
    await bot.press("🖌️ Vary (Region)")
    assert "/mask" in bot.recorder.texts()[-1]
    assert not sim.requests_to("/mj/submit/modal")

    mask = make_png(256, 256, (255, 255, 255))
    await bot.command("/mask a green barn", image_attachment(mask, name="mask.png"))
    (modal,) = sim.requests_to("/mj/submit/modal")
    assert base64.b64decode(modal.json["maskBase64"].split(",", 1)[1]) == mask
    assert modal.json["prompt"] == "a green barn"
    await bot.command("/mask", image_attachment(mask))  # nothing is waiting any more
    assert "No Vary (Region) is waiting" in bot.recorder.texts()[-1]


async def test_describe_and_shorten_choices(bot: Bot, sim: SimRelay) -> None:
    await bot.command("/describe", image_attachment())
    (describe,) = sim.requests_to("/mj/submit/describe")
    assert describe.json["base64"].startswith("data:image/png;base64,")
    await bot.settle()
    result = bot.recorder.last_with_buttons()
    assert result.reply.text.count("\ufe0f\u20e3") >= 4  # the four prompts
    shown = [b.label for row in result.reply.buttons for b in row]
    assert shown[:4] == ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]
    await bot.press("3️⃣", event=result)
    assert sim.requests_to("/mj/submit/action")[-1].json["customId"] == "MJ::Job::PicReader::3"

    await bot.command("/shorten a very long prompt about a cat sitting on a mat in the sun")
    await bot.settle()
    result = bot.recorder.last_with_buttons()
    await bot.press("5️⃣", event=result)
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


async def test_only_the_owner_may_press(bot: Bot, sim: SimRelay, tmp_path: Path) -> None:
    await _result_of(bot, "/imagine a cottage")
    await bot.press("U1", user=BOB)
    assert "Only the person" in bot.recorder.texts()[-1]
    assert not sim.requests_to("/mj/submit/action")

    async with open_bot(sim, tmp_path / "bot.sqlite3", bot.clock, bot.recorder,
                        anyone_can_press=True) as open_to_all:
        await open_to_all.press("U1", user=BOB)
    assert len(sim.requests_to("/mj/submit/action")) == 1


async def test_a_result_longer_than_a_message_is_split_with_buttons_last(bot: Bot) -> None:
    # A platform with room for only 300 characters (the describe answer is longer).
    bot.outlet.responder._limits = dataclasses.replace(platform_limits(), max_text=300)
    await bot.command("/describe", image_attachment())
    await bot.settle()
    results = [e for e in bot.recorder.sent() if "\ufe0f\u20e3" in e.reply.text]
    assert len(results) >= 2
    assert all(len(e.reply.text) <= 300 for e in results)
    assert not any(e.reply.buttons for e in results[:-1])
    assert [b.label for b in results[-1].reply.buttons[0]][:4] == ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]


async def test_a_failed_upscale_frees_its_button(bot: Bot, sim: SimRelay) -> None:
    await _result_of(bot, "/imagine a lighthouse")
    grid = bot.recorder.last_with_buttons()
    await bot.press("U1", event=grid)
    await bot.press("U1", event=grid)
    assert len(sim.requests_to("/mj/submit/action")) == 1
    [*_, upscale] = sim.mj_task_ids()
    sim.set_mj_task_status(upscale, "FAILURE", fail_reason="upstream hiccup")
    await bot.settle()
    assert any("upstream hiccup" in text for text in bot.recorder.texts())
    await bot.press("U1", event=grid)
    assert len(sim.requests_to("/mj/submit/action")) == 2, "a retry after the failure"


async def test_custom_zoom_pressed_again_asks_again_without_another_action(
    bot: Bot, sim: SimRelay
) -> None:
    """A dismissed form is reopened by pressing again: the same question about the same
    waiting task, no second paid action; the answer confirms once."""
    await _upscaled(bot)
    actions = len(sim.requests_to("/mj/submit/action"))
    await bot.press("🔍 Custom Zoom")  # asked; nobody answers
    await bot.press("🔍 Custom Zoom")
    assert len(sim.requests_to("/mj/submit/action")) == actions + 1
    assert len(bot.recorder.asked) == 2 and bot.recorder.asked[0] == bot.recorder.asked[1]
    assert await bot.answer("a red barn --zoom 1.4")
    (modal,) = sim.requests_to("/mj/submit/modal")
    assert modal.json["prompt"] == "a red barn --zoom 1.4"
