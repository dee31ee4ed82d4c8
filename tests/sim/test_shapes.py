"""Contract: what the simulator sends has the same fields as the samples of RELAY_API.md.

A client written against the samples must be able to read every simulated answer, so each
answer must carry at least the sample's keys (nested where it matters).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp

from bot.sim import SimRelay, media
from tests.relay_samples import sample, sample_text
from tests.sim.test_mj import button, finished_grid, get, imagine, poll_until_done, post

Json = Any


def assert_keys(actual: Json, expected: Json, where: str) -> None:
    missing = set(expected) - set(actual)
    assert not missing, f"{where}: missing {sorted(missing)}"


async def test_mj_task_shapes_match_the_samples(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    submitted = await imagine(sim, http, "pig --v 6.1")
    assert_keys(submitted, sample("mj_submit_ok.json"), "submit")
    _, running = await get(http, f"{sim.base_url}/mj/task/{submitted['result']}/fetch")
    assert_keys(running, sample("mj_task_in_progress.json"), "in progress")
    assert_keys(running["properties"], sample("mj_task_in_progress.json")["properties"], "props")
    grid = (await poll_until_done(sim, http, submitted["result"]))[-1]
    imagine_sample = sample("mj_task_success_imagine.json")
    assert set(grid) == set(imagine_sample)
    assert set(grid["properties"]) == set(imagine_sample["properties"])
    assert set(grid["buttons"][0]) == set(imagine_sample["buttons"][0])

    _, answer = await post(
        http,
        f"{sim.base_url}/mj/submit/action",
        {"customId": button(grid, "U1"), "taskId": grid["id"]},
    )
    upscale = sim.finish_mj_task(answer["result"])
    assert set(upscale) == set(sample("mj_task_success_upscale.json"))
    upscale_sample = sample("mj_task_success_upscale.json")
    sample_hash = upscale_sample["properties"]["messageHash"]
    own_hash = upscale["properties"]["messageHash"]
    assert [b["customId"].replace(own_hash, "<hash>") for b in upscale["buttons"]] == [
        b["customId"].replace(sample_hash, "<hash>") for b in upscale_sample["buttons"]
    ]

    _, modal = await post(
        http,
        f"{sim.base_url}/mj/submit/action",
        {"customId": button(upscale, "Vary (Region)"), "taskId": upscale["id"]},
    )
    assert set(modal) == set(sample("mj_submit_exists_modal.json"))
    waiting = sim.mj_task(modal["result"])
    assert set(waiting) == set(sample("mj_task_modal.json"))
    assert_keys(waiting["properties"], {"finalPrompt", "remix"}, "modal props")

    failed = sim.finish_mj_task(sim.add_mj_task("[fail]", finished=False))
    assert set(failed) == set(sample("mj_task_failure.json"))


async def test_mj_side_routes_match_the_samples(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    grid = await finished_grid(sim, http)
    _, seed = await get(http, f"{sim.base_url}/mj/task/{grid['id']}/image-seed")
    assert set(seed) == set(sample("mj_image_seed.json"))
    running = await imagine(sim, http, "x")
    _, cancelled = await post(http, f"{sim.base_url}/mj/task/{running['result']}/cancel", {})
    assert set(cancelled) == set(sample("mj_cancel_ok.json"))
    _, page = await post(http, f"{sim.base_url}/mj/task/query", {"pageSize": 1})
    assert set(page) == set(sample("mj_query_page.json"))
    assert set(page["pageable"]) == set(sample("mj_query_page.json")["pageable"])
    queued = await imagine(sim, http, "[queued]")
    assert set(queued) == set(sample("mj_submit_queued.json"))
    assert set(queued["properties"]) == set(sample("mj_submit_queued.json")["properties"])
    banned = await imagine(sim, http, "[banned]")
    assert set(banned["properties"]) == set(sample("mj_submit_banned.json")["properties"])

    image = "data:image/png;base64," + base64.b64encode(media.make_png(4, 4)).decode()
    described = (await post(http, f"{sim.base_url}/mj/submit/describe", {"base64": image}))[1]
    describe = sim.finish_mj_task(described["result"])
    assert set(describe) == set(sample("mj_describe_success.json"))
    assert describe["buttons"] == sample("mj_describe_success.json")["buttons"]
    shortened = (await post(http, f"{sim.base_url}/mj/submit/shorten", {"prompt": "a b c"}))[1]
    shorten = sim.finish_mj_task(shortened["result"])
    assert set(shorten) == set(sample("mj_shorten_success.json"))
    assert shorten["buttons"] == sample("mj_shorten_success.json")["buttons"]


async def test_new_api_task_matches_the_relay_sample(http: aiohttp.ClientSession) -> None:
    async with SimRelay("sk-sim", steps=1, new_api_mode=True) as sim:
        grid = await finished_grid(sim, http)
    relay_sample = sample("mj_task_success_imagine_relay.json")
    assert set(grid) == set(relay_sample)
    assert set(grid["properties"]) == set(relay_sample["properties"])


async def test_openai_shapes_match_the_samples(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    messages = [{"role": "user", "content": "hi"}]
    _, chat = await post(
        http,
        f"{sim.base_url}/v1/chat/completions",
        {"model": "gpt-3.5-turbo", "messages": messages},
    )
    assert set(chat) == set(sample("chat_completion.json"))
    assert set(chat["choices"][0]) == set(sample("chat_completion.json")["choices"][0])
    stream_lines = (
        sample_text("chat_stream.txt")
    )
    sample_chunks = [
        json.loads(line[6:]) for line in stream_lines.splitlines() if line.startswith("data: {")
    ]
    async with http.post(
        f"{sim.base_url}/v1/chat/completions",
        json={"model": "gpt-3.5-turbo", "messages": messages, "stream": True},
    ) as response:
        text = await response.text()
    chunks = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]
    assert list(chunks[0]) == list(sample_chunks[0])  # same key order, too
    assert set(chunks[-1]) == set(sample_chunks[-1])  # the usage chunk

    _, completion = await post(
        http, f"{sim.base_url}/v1/completions", {"model": "gpt-3.5-turbo-instruct", "prompt": "x"}
    )
    assert set(completion) == set(sample("completion.json"))
    _, images = await post(
        http, f"{sim.base_url}/v1/images/generations", {"model": "dall-e-3", "prompt": "cat"}
    )
    assert set(images) == set(sample("dalle3.json"))
    assert set(images["data"][0]) == set(sample("dalle3.json")["data"][0])
    _, vectors = await post(
        http, f"{sim.base_url}/v1/embeddings", {"model": "text-embedding-ada-002", "input": "x"}
    )
    assert set(vectors) == set(sample("embeddings.json"))
    assert set(vectors["data"][0]) == set(sample("embeddings.json")["data"][0])


async def test_suno_and_luma_shapes_match_the_samples(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    body = {"custom_mode": False, "input": {"gpt_description_prompt": "cats"}}
    _, started = await post(http, f"{sim.base_url}/suno/v1/music", body)
    assert set(started) == set(sample("suno_v35_generate.json"))
    streaming = sim.suno_task(started["data"]["task_id"])
    done = sim.finish_suno_task(started["data"]["task_id"])
    for data, name in ((streaming, "suno_v35_fetch_streaming.json"), (done, "suno_v35_fetch.json")):
        expected = sample(name)["data"]
        assert set(data) == set(expected)
        clip, expected_clip = (
            next(iter(data["clips"].values())),
            next(iter(expected["clips"].values())),
        )
        assert set(clip) == set(expected_clip)
        assert set(clip["metadata"]) == set(expected_clip["metadata"])
    assert_keys(json.loads(done["input"]), {"custom_mode", "gpt_description_prompt", "mv"}, "input")

    _, generation = await post(
        http, f"{sim.base_url}/luma/v1/generations", {"user_prompt": "robot"}
    )
    assert set(generation) == set(sample("luma_generation.json"))
    completed = sim.finish_luma_task(generation["id"])
    assert set(completed) == set(sample("luma_task_completed.json"))
    assert set(completed["video"]) == set(sample("luma_task_completed.json")["video"])
