"""Midjourney on the simulated relay: submit, poll to SUCCESS, press buttons, modal flow."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest

from bot.sim import SimRelay, media
from tests.sim.test_media import parse_png

Json = Any
GRID_LABELS = ["U1", "U2", "U3", "U4", "", "V1", "V2", "V3", "V4"]
UPSCALE_LABELS = [
    "Upscale (Subtle)",
    "Upscale (Creative)",
    "Vary (Subtle)",
    "Vary (Strong)",
    "Vary (Region)",
    "Zoom Out 2x",
    "Zoom Out 1.5x",
    "Custom Zoom",
    "",
    "",
    "",
    "",
    "",
]


async def post(http: aiohttp.ClientSession, url: str, body: Json) -> tuple[int, Json]:
    async with http.post(url, json=body) as response:
        return response.status, await response.json()


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, Json]:
    async with http.get(url) as response:
        return response.status, await response.json()


async def imagine(
    sim: SimRelay, http: aiohttp.ClientSession, prompt: str, prefix: str = ""
) -> Json:
    return (await post(http, f"{sim.base_url}{prefix}/mj/submit/imagine", {"prompt": prompt}))[1]


async def poll_until_done(sim: SimRelay, http: aiohttp.ClientSession, task_id: str) -> list[Json]:
    seen = []
    for _ in range(10):
        status, task = await get(http, f"{sim.base_url}/mj/task/{task_id}/fetch")
        assert status == 200
        seen.append(task)
        if task["status"] in ("SUCCESS", "FAILURE", "CANCEL"):
            return seen
    raise AssertionError(f"task never finished: {seen[-1]}")


async def finished_grid(sim: SimRelay, http: aiohttp.ClientSession, prompt: str = "pig") -> Json:
    submitted = await imagine(sim, http, prompt)
    return (await poll_until_done(sim, http, submitted["result"]))[-1]


def button(task: Json, label: str = "", emoji: str = "") -> str:
    for candidate in task["buttons"]:
        if candidate["label"] == label and (not emoji or candidate["emoji"] == emoji):
            return str(candidate["customId"])
    raise AssertionError(f"no button {label!r}{emoji!r} in {task['buttons']}")


async def test_imagine_progresses_to_success_with_the_real_grid_buttons(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    submitted = await imagine(sim, http, "pig --ar 16:9")
    assert submitted["code"] == 1 and submitted["description"] == "提交成功"
    task_id = submitted["result"]
    assert len(task_id) == 16 and task_id.isdigit()
    assert sim.mj_task(task_id)["status"] == "SUBMITTED"
    assert sim.mj_task(task_id)["progress"] == "0%"

    seen = await poll_until_done(sim, http, task_id)
    assert [(t["status"], t["progress"]) for t in seen] == [
        ("IN_PROGRESS", "33%"),
        ("IN_PROGRESS", "67%"),
        ("SUCCESS", "100%"),
    ]
    assert seen[0]["imageUrl"] and seen[0]["buttons"] == []
    done = seen[-1]
    assert [b["label"] for b in done["buttons"]] == GRID_LABELS
    message_hash = done["properties"]["messageHash"]
    assert done["buttons"][0]["customId"] == f"MJ::JOB::upsample::1::{message_hash}"
    assert done["buttons"][4]["customId"] == f"MJ::JOB::reroll::0::{message_hash}::SOLO"
    assert done["finishTime"] >= done["startTime"] >= done["submitTime"] > 0
    async with http.get(done["imageUrl"]) as response:
        width, height, pixel = parse_png(await response.read())
    assert (width, height) == (256, 144)
    assert pixel == bytes(media.colour_for("pig --ar 16:9"))


async def test_mode_prefixes_are_recorded_and_stripped(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    for prefix, mode in (
        ("/mj-fast", "fast"),
        ("/mj-relax", "relax"),
        ("/mj-turbo", "turbo"),
        ("", None),
    ):
        result = await imagine(sim, http, "cat", prefix)
        assert sim.mj_task_mode(result["result"]) == mode
        status, _ = await get(http, f"{sim.base_url}{prefix}/mj/task/{result['result']}/fetch")
        assert status == 200
    submits = sim.requests_to("/mj/submit/imagine")
    assert [(r.path, r.mode) for r in submits] == [
        ("/mj/submit/imagine", "fast"),
        ("/mj/submit/imagine", "relax"),
        ("/mj/submit/imagine", "turbo"),
        ("/mj/submit/imagine", None),
    ]
    assert submits[1].raw_path == "/mj-relax/mj/submit/imagine"
    assert len(sim.requests_to("/mj/task/*/fetch", "GET")) == 4


async def test_upscale_child_gets_the_v61_button_list(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    grid = await finished_grid(sim, http)
    status, answer = await post(
        http,
        f"{sim.base_url}/mj/submit/action",
        {"customId": button(grid, "U2"), "taskId": grid["id"]},
    )
    assert status == 200 and answer["code"] == 1
    upscale = (await poll_until_done(sim, http, answer["result"]))[-1]
    assert upscale["action"] == "UPSCALE"
    assert upscale["customId"] == button(grid, "U2")
    assert [b["label"] for b in upscale["buttons"]] == UPSCALE_LABELS
    emojis = [b["emoji"] for b in upscale["buttons"][-5:]]
    assert emojis == ["⬅️", "➡️", "⬆️", "⬇️", "❤️"]
    assert "upsample_v6r1_2x_subtle" in upscale["buttons"][0]["customId"]

    again = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/action",
            {"customId": button(grid, "U2"), "taskId": grid["id"]},
        )
    )[1]
    assert again["code"] == 21 and again["result"] == upscale["id"]
    assert again["properties"]["status"] == "SUCCESS"


@pytest.mark.parametrize(
    ("label", "emoji", "action"),
    [("V1", "", "VARIATION"), ("", "🔄", "REROLL")],
)
async def test_grid_buttons_create_the_right_child_action(
    sim: SimRelay, http: aiohttp.ClientSession, label: str, emoji: str, action: str
) -> None:
    grid = await finished_grid(sim, http)
    custom_id = button(grid, label, emoji)
    answer = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/action",
            {"customId": custom_id, "taskId": grid["id"]},
        )
    )[1]
    child = (await poll_until_done(sim, http, answer["result"]))[-1]
    assert child["action"] == action
    assert [b["label"] for b in child["buttons"]] == GRID_LABELS


@pytest.mark.parametrize(
    ("label", "emoji", "action"),
    [("Zoom Out 2x", "", "ZOOM"), ("", "⬅️", "PAN"), ("Vary (Strong)", "", "VARIATION")],
)
async def test_upscale_buttons_create_the_right_child_action(
    sim: SimRelay, http: aiohttp.ClientSession, label: str, emoji: str, action: str
) -> None:
    upscale_id = sim.add_mj_task("pig", action="UPSCALE")
    upscale = sim.mj_task(upscale_id)
    answer = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/action",
            {"customId": button(upscale, label, emoji), "taskId": upscale_id},
        )
    )[1]
    assert answer["code"] == 1
    assert sim.mj_task(answer["result"])["action"] == action


async def test_custom_zoom_waits_for_the_modal_and_needs_zoom_in_the_prompt(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    upscale_id = sim.add_mj_task("pig --v 6.1", action="UPSCALE")
    answer = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/action",
            {"customId": button(sim.mj_task(upscale_id), "Custom Zoom"), "taskId": upscale_id},
        )
    )[1]
    assert answer["code"] == 21 and answer["description"] == "Waiting for window confirm"
    assert answer["properties"]["finalPrompt"] == "pig --v 6.1"
    modal_id = answer["result"]
    _, waiting = await get(http, f"{sim.base_url}/mj/task/{modal_id}/fetch")
    assert (waiting["status"], waiting["action"]) == ("MODAL", "CUSTOM_ZOOM")

    refused = (
        await post(http, f"{sim.base_url}/mj/submit/modal", {"taskId": modal_id, "prompt": "pig"})
    )[1]
    assert refused["code"] == 4
    started = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/modal",
            {"taskId": modal_id, "prompt": "pig --zoom 1.5"},
        )
    )[1]
    assert started == {"code": 1, "description": "提交成功", "properties": {}, "result": modal_id}
    done = (await poll_until_done(sim, http, modal_id))[-1]
    assert done["status"] == "SUCCESS" and done["prompt"] == "pig --zoom 1.5"
    assert [b["label"] for b in done["buttons"]] == GRID_LABELS


async def test_vary_region_needs_a_png_mask(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    upscale_id = sim.add_mj_task("pig", action="UPSCALE")
    answer = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/action",
            {"customId": button(sim.mj_task(upscale_id), "Vary (Region)"), "taskId": upscale_id},
        )
    )[1]
    assert answer["code"] == 21
    modal_id = answer["result"]
    assert sim.mj_task(modal_id)["action"] == "INPAINT"
    bad = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/modal",
            {"taskId": modal_id, "maskBase64": "data:image/png;base64,AAAA"},
        )
    )[1]
    assert bad["code"] == 4
    mask = (
        "data:image/png;base64," + base64.b64encode(media.make_png(8, 8, (255, 255, 255))).decode()
    )
    good = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/modal",
            {"taskId": modal_id, "maskBase64": mask, "prompt": "pig in a hat"},
        )
    )[1]
    assert good["code"] == 1
    assert sim.mj_task(modal_id)["maskBase64"] == mask


async def test_unknown_custom_id_and_unknown_task_get_relay_errors(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    grid = await finished_grid(sim, http)
    url = f"{sim.base_url}/mj/submit/action"
    foreign = "MJ::JOB::upsample::1::00000000-0000-4000-8000-000000000000"
    assert await post(http, url, {"customId": foreign, "taskId": grid["id"]}) == (
        400,
        {"description": f"unknown_action:{foreign} ", "type": "upstream_error", "code": 4},
    )
    assert await post(http, url, {"customId": "nonsense", "taskId": grid["id"]}) == (
        400,
        {"description": "unknown_action:nonsense ", "type": "upstream_error", "code": 4},
    )
    missing = {"description": "task_no_found ", "type": "upstream_error", "code": 4}
    assert await post(http, url, {"customId": button(grid, "U1"), "taskId": "1" * 16}) == (
        400,
        missing,
    )
    assert await get(http, f"{sim.base_url}/mj/task/{'9' * 16}/fetch") == (400, missing)
    assert await post(http, f"{sim.base_url}/mj/submit/imagine", {"prompt": ""}) == (
        400,
        {"description": "prompt_is_required ", "type": "upstream_error", "code": 4},
    )


async def test_action_on_an_unfinished_parent_is_refused(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    grid = await finished_grid(sim, http)
    running = (await imagine(sim, http, "dog"))["result"]
    status, body = await post(
        http,
        f"{sim.base_url}/mj/submit/action",
        {"customId": button(grid, "U1"), "taskId": running},
    )
    assert status == 400 and body["description"].startswith("task_status_not_success")


async def test_magic_words_script_upstream_answers(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    banned = await imagine(sim, http, "a [banned] thing")
    assert banned["code"] == 24 and banned["properties"]["bannedWord"] == "banned"
    assert banned["result"] is None
    full = await imagine(sim, http, "[queue-full]")
    assert (full["code"], full["result"]) == (23, None)
    no_account = await imagine(sim, http, "[no-account]")
    assert (no_account["code"], no_account["description"]) == (3, "无可用的账号实例")
    queued = await imagine(sim, http, "[queued] cat")
    assert queued["code"] == 22 and queued["properties"]["numberOfQueues"] == 1
    assert (await poll_until_done(sim, http, queued["result"]))[-1]["status"] == "SUCCESS"
    failing = await imagine(sim, http, "[fail] cat")
    last = (await poll_until_done(sim, http, failing["result"]))[-1]
    assert last["status"] == "FAILURE" and last["failReason"] and last["buttons"] == []


async def test_cancel_and_image_seed(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    running = (await imagine(sim, http, "dog"))["result"]
    base = sim.base_url
    seed_error = (await get(http, f"{base}/mj/task/{running}/image-seed"))[1]
    assert seed_error["code"] == 4
    assert (await post(http, f"{base}/mj/task/{running}/cancel", {}))[1]["code"] == 1
    _, task = await get(http, f"{base}/mj/task/{running}/fetch")
    assert task["status"] == "CANCEL"
    grid = await finished_grid(sim, http)
    assert (await post(http, f"{base}/mj/task/{grid['id']}/cancel", {}))[1]["code"] == 4
    seed = (await get(http, f"{base}/mj/task/{grid['id']}/image-seed"))[1]
    assert seed["code"] == 1 and seed["result"].isdigit()


async def test_list_by_condition_moves_each_listed_task_once(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    first = (await imagine(sim, http, "a"))["result"]
    second = (await imagine(sim, http, "b"))["result"]
    url = f"{sim.base_url}/mj/task/list-by-condition"
    status, tasks = await post(http, url, {"ids": [first, second, first, "404"]})
    assert status == 200
    assert [(t["id"], t["progress"]) for t in tasks] == [(first, "33%"), (second, "33%")]
    tasks = (await post(http, url, {"ids": [first]}))[1]
    assert tasks[0]["progress"] == "67%"
    assert sim.mj_task(second)["progress"] == "33%"


@pytest.mark.sim(recorded=["/mj/task/list-by-condition"])
async def test_a_simulator_can_keep_only_the_requests_it_is_asked_to(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    task_id = (await imagine(sim, http, "a", prefix="/mj-relax"))["result"]
    await get(http, f"{sim.base_url}/mj/task/{task_id}/fetch")
    await post(http, f"{sim.base_url}/mj/task/list-by-condition", {"ids": [task_id]})
    assert [(r.method, r.path) for r in sim.requests] == [
        ("POST", "/mj/task/list-by-condition")
    ]
    assert sim.mj_task(task_id)["progress"] == "67%"  # unrecorded requests still count


async def test_queue_list_and_paged_query(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    done_id = sim.add_mj_task("finished one")
    running = (await imagine(sim, http, "running one"))["result"]
    queue = (await get(http, f"{sim.base_url}/mj/task/queue"))[1]
    assert [t["id"] for t in queue] == [running] and queue[0]["status"] == "IN_PROGRESS"
    everything = (await get(http, f"{sim.base_url}/mj/task/list"))[1]
    assert {t["id"] for t in everything} == {done_id, running}
    page = (
        await post(
            http,
            f"{sim.base_url}/mj/task/query",
            {"pageNumber": 0, "pageSize": 10, "status": "SUCCESS"},
        )
    )[1]
    assert [t["id"] for t in page["content"]] == [done_id]
    assert (page["totalElements"], page["number"], page["first"], page["last"]) == (
        1,
        0,
        True,
        True,
    )


async def test_describe_and_shorten_results(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    image = "data:image/png;base64," + base64.b64encode(media.make_png(4, 4)).decode()
    described = (await post(http, f"{sim.base_url}/mj/submit/describe", {"base64": image}))[1]
    describe = (await poll_until_done(sim, http, described["result"]))[-1]
    assert describe["action"] == "DESCRIBE" and describe["imageUrl"]
    assert describe["prompt"].count("\n\n") == 3 and describe["prompt"].startswith("1️⃣")
    assert "(simulated)" in describe["prompt"]
    assert [b["customId"] for b in describe["buttons"]][:2] == [
        "MJ::Job::PicReader::1",
        "MJ::Job::PicReader::2",
    ]
    answer = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/action",
            {"customId": "MJ::Job::PicReader::2", "taskId": describe["id"]},
        )
    )[1]
    assert sim.mj_task(answer["result"])["action"] == "IMAGINE"

    shortened = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/shorten",
            {"prompt": "a pink pig wearing a golden crown, oil painting"},
        )
    )[1]
    shorten = (await poll_until_done(sim, http, shortened["result"]))[-1]
    assert "## Shortened prompts" in shorten["description"]
    assert shorten["imageUrl"] == ""
    assert [b["emoji"] for b in shorten["buttons"]] == ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣"]


async def test_blend_and_swap_face(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    image = "data:image/png;base64," + base64.b64encode(media.make_png(4, 4)).decode()
    too_few = (await post(http, f"{sim.base_url}/mj/submit/blend", {"base64Array": [image]}))[1]
    assert too_few["code"] == 4
    blended = (
        await post(
            http,
            f"{sim.base_url}/mj/submit/blend",
            {"base64Array": [image, image], "dimensions": "PORTRAIT"},
        )
    )[1]
    blend = (await poll_until_done(sim, http, blended["result"]))[-1]
    assert blend["action"] == "BLEND" and [b["label"] for b in blend["buttons"]] == GRID_LABELS
    swapped = (
        await post(
            http,
            f"{sim.base_url}/mj/insight-face/swap",
            {"sourceBase64": image, "targetBase64": image},
        )
    )[1]
    swap = (await poll_until_done(sim, http, swapped["result"]))[-1]
    assert swap["action"] == "SWAP_FACE" and swap["imageUrl"] and swap["buttons"] == []


async def test_new_api_mode_reduces_tasks_and_rejects_picreader(
    http: aiohttp.ClientSession,
) -> None:
    async with SimRelay("sk-sim", steps=1, new_api_mode=True) as sim:
        grid = await finished_grid(sim, http)
        assert grid["imageUrl"] == f"{sim.base_url}/mj/image/{grid['id']}"
        assert set(grid["properties"]) == {"finalPrompt", "finalZhPrompt"}
        assert grid["customId"] == "" and grid["botType"] == ""
        async with http.get(grid["imageUrl"]) as response:
            assert response.content_type == "image/png"
            parse_png(await response.read())
        describe_id = sim.add_mj_task("", action="DESCRIBE")
        status, body = await post(
            http,
            f"{sim.base_url}/mj/submit/action",
            {"customId": "MJ::Job::PicReader::1", "taskId": describe_id},
        )
        assert (status, body["description"]) == (400, "unknown_action:MJ::Job::PicReader::1 ")
        queued = await imagine(sim, http, "[queued] cat")
        assert queued["code"] == 1


async def test_step_seconds_moves_tasks_by_the_injected_clock(
    http: aiohttp.ClientSession,
) -> None:
    now = [100.0]
    async with SimRelay("sk-sim", steps=2, step_seconds=10.0, clock=lambda: now[0]) as sim:
        task_id = (await imagine(sim, http, "slow"))["result"]
        url = f"{sim.base_url}/mj/task/{task_id}/fetch"
        assert (await get(http, url))[1]["status"] == "SUBMITTED"
        assert (await get(http, url))[1]["status"] == "SUBMITTED"
        now[0] += 10
        assert (await get(http, url))[1]["progress"] == "50%"
        now[0] += 10
        assert (await get(http, url))[1]["status"] == "SUCCESS"


async def test_takes_magic_word_gives_one_task_its_own_duration(
    http: aiohttp.ClientSession,
) -> None:
    now = [100.0]
    async with SimRelay("sk-sim", steps=2, clock=lambda: now[0]) as sim:
        slow = (await imagine(sim, http, "slow cat [takes 40s]"))["result"]
        url = f"{sim.base_url}/mj/task/{slow}/fetch"
        assert (await get(http, url))[1]["status"] == "SUBMITTED"
        assert (await get(http, url))[1]["status"] == "SUBMITTED"  # polls do not move it
        now[0] += 20
        assert (await get(http, url))[1]["progress"] == "50%"
        now[0] += 20
        assert (await get(http, url))[1]["status"] == "SUCCESS"
        assert sim.requests[-1].at == 140.0  # requests are stamped on the sim's clock


async def test_scripting_helpers_pin_a_status(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    task_id = (await imagine(sim, http, "pinned"))["result"]
    sim.set_mj_task_status(task_id, "FAILURE", fail_reason="(simulated) pinned failure")
    _, task = await get(http, f"{sim.base_url}/mj/task/{task_id}/fetch")
    assert (task["status"], task["failReason"]) == ("FAILURE", "(simulated) pinned failure")


async def test_a_running_task_can_be_made_to_wait_in_modal_like_a_remix_account(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    task_id = sim.add_mj_task("pig on a hill", finished=False)
    waiting = sim.mj_task_wants_modal(task_id)
    assert waiting["status"] == "MODAL" and waiting["properties"]["remix"] is True
    _, still = await get(http, f"{sim.base_url}/mj/task/{task_id}/fetch")
    assert still["status"] == "MODAL", "a MODAL task waits, it does not run on"
    started = (
        await post(http, f"{sim.base_url}/mj/submit/modal",
                   {"taskId": task_id, "prompt": "pig on a hill, remixed"})
    )[1]
    assert started["code"] == 1 and started["result"] == task_id
    done = (await poll_until_done(sim, http, task_id))[-1]
    assert done["status"] == "SUCCESS" and done["prompt"] == "pig on a hill, remixed"
