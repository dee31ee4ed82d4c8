"""OpenAI-compatible routes of the simulated relay."""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from typing import Any

import aiohttp

from bot.sim import SimRelay, media
from tests.sim.test_media import parse_ogg_pages, parse_png

Json = Any


async def chat(sim: SimRelay, http: aiohttp.ClientSession, body: Json) -> tuple[int, Json]:
    async with http.post(f"{sim.base_url}/v1/chat/completions", json=body) as response:
        return response.status, await response.json()


def user(content: Any) -> list[Json]:
    return [{"role": "user", "content": content}]


async def read_sse(response: aiohttp.ClientResponse) -> tuple[list[Json], list[str]]:
    """Parsed ``data:`` events (``[DONE]`` as the string) and comment lines."""
    events: list[Json] = []
    comments: list[str] = []
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith(":"):
            comments.append(line)
        elif line.startswith("data: "):
            data = line[6:]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events, comments


async def test_chat_answer_is_labelled_and_shaped_like_openai(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    status, body = await chat(sim, http, {"model": "gpt-4o", "messages": user("hello there")})
    assert status == 200
    assert body["object"] == "chat.completion" and body["model"] == "gpt-4o"
    (choice,) = body["choices"]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    assert "(simulated)" in choice["message"]["content"]
    assert "hello there" in choice["message"]["content"]
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


async def test_chat_stream_has_role_content_finish_usage_keepalive_and_done(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    body = {"model": "gpt-3.5-turbo", "messages": user("stream me"), "stream": True}
    async with http.post(f"{sim.base_url}/v1/chat/completions", json=body) as response:
        assert response.content_type == "text/event-stream"
        events, comments = await read_sse(response)
    assert events[-1] == "[DONE]"
    assert comments == [": keep-alive"]
    chunks = events[:-1]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    content = [c["choices"][0]["delta"]["content"] for c in chunks[1:-2]]
    assert len(content) >= 3
    assert "".join(content).startswith("(simulated)") and "stream me" in "".join(content)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0


async def test_streams_are_timed_from_first_to_last_text_chunk(
    http: aiohttp.ClientSession,
) -> None:
    ticks = iter(range(100, 200))  # the sim's clock moves one unit per reading
    async with SimRelay("sk-sim", clock=lambda: float(next(ticks))) as sim:
        body = {"model": "gpt-3.5-turbo", "messages": user("stream me"), "stream": True}
        async with http.post(f"{sim.base_url}/v1/chat/completions", json=body,
                             headers={"Authorization": "Bearer sk-sim"}) as response:
            events, _ = await read_sse(response)
        texts = [e for e in events[:-1] if e["choices"] and e["choices"][0]["delta"].get("content")]
        [(first, last)] = sim.streams
        # One clock reading per chunk with text: the role and finish chunks are not timed.
        assert len(texts) >= 3 and last - first == len(texts) - 1


async def test_long_answer_has_paragraphs_and_a_code_block(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    _, body = await chat(sim, http, {"model": "gpt-4", "messages": user("[long] please")})
    content = body["choices"][0]["message"]["content"]
    assert 8000 <= len(content) <= 11000
    assert content.count("\n\n") > 20 and content.count("```") == 2


async def test_vision_parts_are_counted(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    parts = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "image_url", "image_url": {"url": "https://example.invalid/cat.jpg"}},
    ]
    _, body = await chat(sim, http, {"model": "gpt-4-vision-preview", "messages": user(parts)})
    assert "saw 2 images" in body["choices"][0]["message"]["content"]


async def test_gpt4all_analyses_inline_urls_and_draws(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    url = "https://photokit.com/features/images/image-text-after.png"
    _, body = await chat(
        sim, http, {"model": "gpt-4-all", "messages": user(f"{url}分析一下这个图片")}
    )
    analysis = body["choices"][0]["message"]["content"]
    assert "(simulated)" in analysis and url in analysis

    _, body = await chat(sim, http, {"model": "gpt-4-all", "messages": user("画一只猫")})
    drawing = body["choices"][0]["message"]["content"]
    (link,) = re.findall(r"!\[[^\]]*\]\((https?://[^)\s]+)\)", drawing)
    async with http.get(link) as response:
        parse_png(await response.read())


async def test_stable_diffusion_gizmo_and_gemini(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    _, body = await chat(sim, http, {"model": "stable-diffusion-api", "messages": user("coast")})
    assert re.match(
        r"!\[image\]\(http://127\.0\.0\.1:\d+/sim/media/image/",
        body["choices"][0]["message"]["content"],
    )
    _, body = await chat(sim, http, {"model": "gpt-4-gizmo-g-bo0FiWLY7", "messages": user("hi")})
    assert "g-bo0FiWLY7" in body["choices"][0]["message"]["content"]
    _, body = await chat(sim, http, {"model": "gemini-pro", "messages": user("hi")})
    assert "Gemini" in body["choices"][0]["message"]["content"]


async def test_unknown_model_gets_no_channel_503(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    status, body = await chat(sim, http, {"model": "nope-9000", "messages": user("hi")})
    assert status == 503
    assert body["error"]["type"] == "new_api_error"
    assert "无可用渠道" in body["error"]["message"] and "nope-9000" in body["error"]["message"]
    assert "(request id: " in body["error"]["message"]


async def test_max_tokens_cuts_with_finish_reason_length(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    _, body = await chat(
        sim, http, {"model": "gpt-4", "messages": user("[long]"), "max_tokens": 10}
    )
    assert body["choices"][0]["finish_reason"] == "length"
    assert len(body["choices"][0]["message"]["content"]) == 40


async def test_completions_plain_and_streamed(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    body = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test"}
    async with http.post(f"{sim.base_url}/v1/completions", json=body) as response:
        plain = await response.json()
    assert plain["object"] == "text_completion" and "(simulated)" in plain["choices"][0]["text"]
    async with http.post(
        f"{sim.base_url}/v1/completions", json={**body, "stream": True}
    ) as response:
        events, _ = await read_sse(response)
    assert events[-1] == "[DONE]"
    assert "".join(e["choices"][0]["text"] for e in events[:-1]) == plain["choices"][0]["text"]


async def test_dalle_url_b64_size_check_and_policy(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    url = f"{sim.base_url}/v1/images/generations"
    body = {"model": "dall-e-3", "prompt": "a cat", "size": "1792x1024"}
    async with http.post(url, json=body) as response:
        result = await response.json()
    item = result["data"][0]
    assert item["revised_prompt"].startswith("(simulated)")
    async with http.get(item["url"]) as image:
        assert parse_png(await image.read()) == (256, 146, bytes(media.colour_for("a cat")))
    async with http.post(url, json={**body, "response_format": "b64_json"}) as response:
        b64 = (await response.json())["data"][0]["b64_json"]
    parse_png(base64.b64decode(b64))
    async with http.post(url, json={**body, "size": "1024x768"}) as response:
        assert response.status == 400
        assert (await response.json())["error"]["param"] == "size"
    async with http.post(url, json={**body, "prompt": "[policy] thing"}) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "content_policy_violation"


async def test_embeddings_are_deterministic_unit_vectors(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    url = f"{sim.base_url}/v1/embeddings"

    async def embed(body: Json) -> Json:
        async with http.post(url, json=body) as response:
            assert response.status == 200
            return await response.json()

    ada = await embed({"model": "text-embedding-ada-002", "input": ["one", "two"]})
    first, second = (d["embedding"] for d in ada["data"])
    assert len(first) == 1536 and first != second
    assert math.isclose(sum(v * v for v in first), 1.0, rel_tol=1e-4)
    again = await embed({"model": "text-embedding-ada-002", "input": "one"})
    assert again["data"][0]["embedding"] == first
    small = await embed({"model": "text-embedding-3-small", "input": "x", "dimensions": 256})
    assert len(small["data"][0]["embedding"]) == 256
    packed = await embed(
        {
            "model": "text-embedding-3-small",
            "input": "x",
            "dimensions": 8,
            "encoding_format": "base64",
        }
    )
    assert len(struct.unpack("<8f", base64.b64decode(packed["data"][0]["embedding"]))) == 8


async def test_transcription_formats_and_translation(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    voice = media.make_ogg_opus()

    def form(fmt: str) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("file", voice, filename="voice.ogg", content_type="audio/ogg")
        data.add_field("model", "whisper-1")
        data.add_field("response_format", fmt)
        return data

    expected = f"(simulated) transcript of voice.ogg, {len(voice)} bytes"
    async with http.post(
        f"{sim.base_url}/v1/audio/transcriptions", data=form("json")
    ) as response:
        assert await response.json() == {"text": expected}
    async with http.post(
        f"{sim.base_url}/v1/audio/transcriptions", data=form("text")
    ) as response:
        assert (await response.text()).strip() == expected
    async with http.post(
        f"{sim.base_url}/v1/audio/transcriptions", data=form("verbose_json")
    ) as response:
        verbose = await response.json()
    assert verbose["task"] == "transcribe" and verbose["segments"][0]["text"] == expected
    async with http.post(f"{sim.base_url}/v1/audio/translations", data=form("json")) as response:
        assert (await response.json())["text"].startswith(
            "(simulated) English translation of voice.ogg"
        )
    (recorded,) = sim.requests_to("/v1/audio/translations")
    assert recorded.form["model"] == "whisper-1"
    assert recorded.files["file"] == ("voice.ogg", "audio/ogg", len(voice))


async def test_tts_mp3_by_default_and_ogg_opus_on_request(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    body = {"model": "tts-1", "input": "hello", "voice": "alloy"}
    async with http.post(f"{sim.base_url}/v1/audio/speech", json=body) as response:
        assert response.content_type == "audio/mpeg"
        assert (await response.read())[:2] == b"\xff\xfb"
    async with http.post(
        f"{sim.base_url}/v1/audio/speech", json={**body, "response_format": "opus"}
    ) as response:
        assert response.content_type == "audio/ogg"
        assert parse_ogg_pages(await response.read())[0][2][0].startswith(b"OpusHead")
