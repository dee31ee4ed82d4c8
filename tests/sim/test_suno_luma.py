"""Suno and Luma progressions on the simulated relay."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.sim import SimRelay, media
from tests.sim.test_media import parse_jpeg, parse_png

Json = Any
SONG = {
    "custom_mode": True,
    "mv": "chirp-v3-0",
    "input": {"prompt": "[Verse]\nla la", "title": "Electric Dreams", "tags": "epic reggae"},
}


async def call(
    http: aiohttp.ClientSession, method: str, url: str, body: Json = None
) -> tuple[int, Json]:
    async with http.request(method, url, json=body) as response:
        return response.status, await response.json()


async def test_suno_v30_generate_then_fetch_to_complete(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    status, started = await call(http, "POST", f"{sim.base_url}/suno/v1/v3.0/music", SONG)
    assert status == 200 and started["code"] == 200 and started["message"] == "success"
    task_id = started["data"]["task_id"]
    assert sim.suno_task(task_id)["status"] == "pending"
    seen = []
    for _ in range(3):
        _, fetched = await call(http, "GET", f"{sim.base_url}/suno/v1/v3.0/music/{task_id}")
        data = fetched["data"]
        seen.append((data["status"], sorted({c["status"] for c in data["clips"].values()})))
    assert seen == [
        ("processing", ["queued"]),
        ("processing", ["streaming"]),
        ("completed", ["complete"]),
    ]
    assert json.loads(data["input"])["mv"] == "chirp-v3-0"
    clips = data["clips"]
    assert len(clips) == 2 and all(key == clip["id"] for key, clip in clips.items())
    clip = next(iter(clips.values()))
    assert clip["title"] == "Electric Dreams" and clip["metadata"]["type"] == "gen"
    async with http.get(clip["audio_url"]) as response:
        assert response.content_type == "audio/mpeg"
        assert (await response.read())[:2] == b"\xff\xfb"
    async with http.get(clip["image_url"]) as response:  # Suno covers are JPEGs
        assert response.content_type == "image/jpeg"
        assert parse_jpeg(await response.read())[:2] == (256, 256)
    async with http.get(clip["image_large_url"]) as response:
        assert parse_jpeg(await response.read())[:2] == (1024, 1024)
    async with http.get(clip["video_url"]) as response:
        assert media.iter_boxes(await response.read())[0][0] == b"ftyp"


async def test_suno_streaming_clip_has_an_audio_url(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    body = {"custom_mode": False, "input": {"gpt_description_prompt": "a happy song about cats"}}
    _, started = await call(http, "POST", f"{sim.base_url}/suno/v1/music", body)
    task_id = started["data"]["task_id"]
    for _ in range(2):
        _, fetched = await call(http, "GET", f"{sim.base_url}/suno/v1/music/{task_id}")
    clip = next(iter(fetched["data"]["clips"].values()))
    assert clip["status"] == "streaming" and clip["audio_url"] and clip["video_url"] == ""
    assert clip["model_name"] == "chirp-v3-5" and "(simulated)" in clip["title"]


async def test_suno_concat_makes_one_concat_clip(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    _, started = await call(http, "POST", f"{sim.base_url}/suno/v1/v3.0/music", SONG)
    source = sim.finish_suno_task(started["data"]["task_id"])
    clip_id = next(iter(source["clips"]))
    status, concat = await call(
        http, "POST", f"{sim.base_url}/suno/v1/v3.0/music/concat", {"clip_id": clip_id}
    )
    assert status == 200
    done = sim.finish_suno_task(concat["data"]["task_id"])
    (clip,) = done["clips"].values()
    assert clip["metadata"]["type"] == "concat"
    assert clip["metadata"]["concat_history"][0]["id"] == clip_id
    status, refused = await call(
        http, "POST", f"{sim.base_url}/suno/v1/v3.0/music/concat", {"clip_id": "x"}
    )
    assert status == 400 and refused["code"] != 200


async def test_suno_errors(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    status, body = await call(
        http, "POST", f"{sim.base_url}/suno/v1/music", {"custom_mode": True, "input": {}}
    )
    assert status == 400 and "(simulated)" in body["message"]
    status, body = await call(http, "GET", f"{sim.base_url}/suno/v1/music/unknown")
    assert (status, body["code"]) == (404, 404)
    failing = {"custom_mode": False, "input": {"gpt_description_prompt": "[fail]"}}
    _, started = await call(http, "POST", f"{sim.base_url}/suno/v1/music", failing)
    done = sim.finish_suno_task(started["data"]["task_id"])
    assert done["status"] == "failed"
    assert {c["status"] for c in done["clips"].values()} == {"error"}


async def test_luma_generate_and_poll_by_query_and_path(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    body = {
        "user_prompt": "robot fighting",
        "aspect_ratio": "16:9",
        "expand_prompt": True,
        "image_url": "",
    }
    status, generation = await call(http, "POST", f"{sim.base_url}/luma/v1/generations", body)
    assert status == 200 and generation["state"] == "pending" and generation["video"] is None
    gen_id = generation["id"]
    states = []
    for url in (
        f"/luma/v1/task?id={gen_id}",
        f"/luma/v1/task?task_id={gen_id}",
        f"/luma/v1/generations/{gen_id}",
    ):
        _, task = await call(http, "GET", sim.base_url + url)
        states.append(task["state"])
    assert states == ["processing", "processing", "completed"]
    assert (task["video"]["width"], task["video"]["height"]) == (1360, 752)
    async with http.get(task["video"]["url"]) as response:
        assert response.content_type == "video/mp4"
        assert [k for k, _ in media.iter_boxes(await response.read())] == [
            b"ftyp",
            b"moov",
            b"mdat",
        ]
    async with http.get(task["thumbnail"]["url"]) as response:
        parse_png(await response.read())


async def test_luma_array_mode_and_failures(http: aiohttp.ClientSession) -> None:
    async with SimRelay("sk-sim", steps=1, luma_array=True) as sim:
        _, generations = await call(
            http, "POST", f"{sim.base_url}/luma/v1/generations", {"user_prompt": "[fail]"}
        )
        assert isinstance(generations, list) and len(generations) == 1
        _, task = await call(
            http, "GET", f"{sim.base_url}/luma/v1/task?id={generations[0]['id']}"
        )
        assert task["state"] == "failed" and "(simulated)" in task["failure_reason"]
        status, _ = await call(
            http, "POST", f"{sim.base_url}/luma/v1/generations", {"aspect_ratio": "1:1"}
        )
        assert status == 400
        status, _ = await call(http, "GET", f"{sim.base_url}/luma/v1/task")
        assert status == 400
