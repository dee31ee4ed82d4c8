"""Suno and Luma against the simulated relay."""

from __future__ import annotations

import aiohttp
import pytest

from bot.relay import LumaState, RelayClient, SunoTask, SunoTaskStatus, SunoVersion, errors
from bot.sim import Fault, SimRelay


async def _poll_suno(client: RelayClient, version: SunoVersion, task_id: str) -> SunoTask:
    for _ in range(10):
        task = await client.suno.fetch(version, task_id)
        if task.status in (SunoTaskStatus.COMPLETED, SunoTaskStatus.FAILED) and task.is_done:
            return task
        if task.status is SunoTaskStatus.FAILED:
            return task
    raise AssertionError("song never finished")


@pytest.mark.parametrize(
    ("version", "path", "mv"),
    [
        ("v3.5", "/suno/v1/music", "chirp-v3-5"),
        ("v3.0", "/suno/v1/v3.0/music", "chirp-v3-0"),
    ],
)
async def test_song_from_lyrics(
    client: RelayClient, sim: SimRelay, version: SunoVersion, path: str, mv: str
) -> None:
    task_id = await client.suno.generate(
        version,
        lyrics="[Verse]\nla la",
        title="La",
        tags="pop",
    )
    sent = sim.requests_to(path, method="POST")[0].json
    assert sent["custom_mode"] is True and sent["mv"] == mv
    assert sent["input"]["prompt"] == "[Verse]\nla la" and sent["input"]["tags"] == "pop"
    song = await _poll_suno(client, version, task_id)
    assert song.status is SunoTaskStatus.COMPLETED and len(song.clips) >= 1
    assert all(c.audio_url for c in song.clips)


async def test_song_from_description_and_concat(client: RelayClient, sim: SimRelay) -> None:
    task_id = await client.suno.generate(description="a happy song about cats", instrumental=True)
    sent = sim.requests_to("/suno/v1/music")[0].json
    assert sent["custom_mode"] is False
    assert sent["input"]["gpt_description_prompt"] == "a happy song about cats"
    song = await _poll_suno(client, "v3.5", task_id)
    joined = await client.suno.concat(song.clips[0].id)
    assert joined and sim.requests_to("/suno/v1/v3.0/music/concat")[0].json == {
        "clip_id": song.clips[0].id
    }
    with pytest.raises(ValueError):
        await client.suno.generate(lyrics="x", description="y")


async def test_failed_song(client: RelayClient) -> None:
    task_id = await client.suno.generate(description="[fail] a song")
    song = await _poll_suno(client, "v3.5", task_id)
    assert song.status is SunoTaskStatus.FAILED or any(c.error_message for c in song.clips)


async def test_suno_wrapper_error(client: RelayClient, sim: SimRelay) -> None:
    sim.add_fault(
        Fault(
            "POST",
            "/suno/v1/music",
            status=200,
            json_body={"code": 5001, "message": "suno account busy", "data": None},
        )
    )
    with pytest.raises(errors.RejectedError, match="suno account busy"):
        await client.suno.generate(description="a song")


async def test_video_generate_and_poll(client: RelayClient, sim: SimRelay) -> None:
    started = await client.luma.generate("robot fighting", aspect_ratio="16:9", expand_prompt=True)
    assert started.state in (LumaState.PENDING, LumaState.PROCESSING) and started.id
    assert sim.requests_to("/luma/v1/generations")[0].json == {
        "user_prompt": "robot fighting",
        "aspect_ratio": "16:9",
        "expand_prompt": True,
    }
    for _ in range(10):
        video = await client.luma.task(started.id)
        if video.state is LumaState.COMPLETED:
            break
    assert video.state is LumaState.COMPLETED and video.video_url
    assert sim.requests_to("/luma/v1/task")[0].query == {"id": started.id}


async def test_video_task_falls_back_when_query_name_is_wrong(
    client: RelayClient, sim: SimRelay
) -> None:
    started = await client.luma.generate("robot fighting")
    sim.add_fault(Fault("GET", "/luma/v1/task", status=404, times=2))
    video = await client.luma.task(started.id)
    assert video.id == started.id
    assert [r.query for r in sim.requests_to("/luma/v1/task")] == [
        {"id": started.id},
        {"task_id": started.id},
    ]
    assert len(sim.requests_to("/luma/v1/generations/*")) == 1


async def test_video_generate_as_array(session: aiohttp.ClientSession) -> None:
    async with SimRelay(api_key="sk-sim", luma_array=True) as relay:
        client = RelayClient(session, base_url=relay.base_url, api_key="sk-sim", timeout_s=5)
        started = await client.luma.generate("[fail] a video")
        assert started.id
        for _ in range(10):
            video = await client.luma.task(started.id)
            if video.state is LumaState.FAILED:
                break
        assert video.state is LumaState.FAILED
