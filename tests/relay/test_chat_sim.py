"""Chat against the simulated relay: answers, vision input, streams, chat-drawn images."""

from __future__ import annotations

import json
import sys
from typing import Any

import aiohttp
import pytest

from bot.relay import ChatMessage, ImagePart, RelayClient, TextPart, errors
from bot.sim import Fault, SimRelay
from tests.relay.conftest import MakeClient
from tests.relay_samples import sample_text

HELLO = [ChatMessage(role="user", content="hello there")]
CHAT_PATH = "/v1/chat/completions"


async def test_complete_sends_auth_and_returns_the_answer(
    client: RelayClient, sim: SimRelay
) -> None:
    result = await client.chat.complete("gpt-4o", HELLO, max_tokens=50, temperature=0.2)
    assert result.text
    assert result.finish_reason == "stop"
    (request,) = sim.requests_to("/v1/chat/completions")
    assert request.headers["Authorization"] == "Bearer sk-sim"
    assert request.headers["Accept"] == "application/json"
    assert request.json["max_tokens"] == 50 and request.json["temperature"] == 0.2
    assert "stream" not in request.json


async def test_vision_parts_go_out_as_openai_content_parts(
    client: RelayClient, sim: SimRelay
) -> None:
    message = ChatMessage(
        role="user",
        content=(TextPart("what is this?"), ImagePart("data:image/png;base64,AAAA", "low")),
    )
    await client.chat.complete("gpt-4o", [ChatMessage("system", "be brief"), message])
    sent = sim.requests_to("/v1/chat/completions")[0].json["messages"]
    assert sent[0] == {"role": "system", "content": "be brief"}
    assert sent[1]["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}},
    ]


async def test_stream_yields_the_same_text_as_complete(client: RelayClient) -> None:
    whole = await client.chat.complete("gpt-4o", HELLO)
    deltas = [d async for d in client.chat.stream("gpt-4o", HELLO)]
    assert "".join(d.text for d in deltas) == whole.text
    assert deltas[-1].finish_reason == "stop" or any(d.finish_reason for d in deltas)


async def test_a_stream_read_to_done_leaves_nothing_for_asyncio_to_close_later(
    client: RelayClient,
) -> None:
    # An async generator dropped while suspended is closed by asyncio's finalizer hook in a
    # task of its own, woken through the loop's self-pipe: work on the loop after the answer.
    first_iteration, finalizer = sys.get_asyncgen_hooks()
    left_over: list[str] = []

    def record(generator: Any) -> None:
        left_over.append(generator.__qualname__)
        if finalizer is not None:
            finalizer(generator)

    sys.set_asyncgen_hooks(firstiter=first_iteration, finalizer=record)
    try:
        deltas = [d async for d in client.chat.stream("gpt-4o", HELLO)]
    finally:
        sys.set_asyncgen_hooks(firstiter=first_iteration, finalizer=finalizer)
    assert "".join(d.text for d in deltas)
    assert left_over == []


async def test_stream_ignores_comments_and_reads_usage(client: RelayClient, sim: SimRelay) -> None:
    body = ": keep-alive\n\n" + sample_text("chat_stream.txt")
    sim.add_fault(Fault("POST", "/v1/chat/completions", status=200, text_body=body))
    async with client.chat.stream("gpt-4o", HELLO, include_usage=True) as stream:
        deltas = [d async for d in stream]
    assert "".join(d.text for d in deltas) == "Hello! How can I help you today?"
    assert deltas[-1].usage is not None and deltas[-1].usage.total_tokens == 18
    assert sim.requests_to("/v1/chat/completions")[0].json["stream_options"] == {
        "include_usage": True
    }


async def test_stream_cut_midway_keeps_the_partial_text(client: RelayClient, sim: SimRelay) -> None:
    prompt = [ChatMessage("user", "[long] tell me everything")]
    full = await client.chat.complete("gpt-4o", prompt)
    sim.add_fault(Fault("POST", "/v1/chat/completions", truncate=True))
    received: list[str] = []
    with pytest.raises(errors.RelayConnectionError) as caught:
        async for delta in client.chat.stream("gpt-4o", prompt):
            received.append(delta.text)
    assert caught.value.sent is True
    partial = "".join(received)
    assert partial and full.text.startswith(partial) and len(partial) < len(full.text)


async def test_stream_error_envelope_before_any_chunk(client: RelayClient, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/v1/chat/completions", status=429))
    with pytest.raises(errors.RateLimitedError):
        async for _ in client.chat.stream("gpt-4o", HELLO):
            pass
    assert len(sim.requests_to("/v1/chat/completions")) == 1


async def test_stream_error_chunk_maps_to_the_error_tree(
    client: RelayClient, sim: SimRelay
) -> None:
    error = {"error": {"message": "user quota is not enough", "code": "insufficient_user_quota"}}
    body = f"data: {json.dumps(error)}\n\n"
    sim.add_fault(Fault("POST", "/v1/chat/completions", status=200, text_body=body))
    with pytest.raises(errors.QuotaExceededError):
        async for _ in client.chat.stream("gpt-4o", HELLO):
            pass


async def test_stream_answered_as_plain_json_still_yields_text(
    client: RelayClient, sim: SimRelay
) -> None:
    sim.add_fault(
        Fault(
            "POST",
            "/v1/chat/completions",
            status=200,
            json_body={
                "model": "m",
                "choices": [{"message": {"content": "whole"}, "finish_reason": "stop"}],
            },
        )
    )
    deltas = [d async for d in client.chat.stream("gpt-4o", HELLO)]
    assert [d.text for d in deltas] == ["whole"]


async def test_stream_silence_longer_than_timeout(make_client: MakeClient, sim: SimRelay) -> None:
    client: RelayClient = make_client(timeout_s=0.2)
    sim.add_fault(Fault("POST", "/v1/chat/completions", delay_s=0.6, passthrough=True))
    with pytest.raises(errors.RelayTimeoutError):
        async for _ in client.chat.stream("gpt-4o", HELLO):
            pass


async def test_unknown_model_means_no_channel(client: RelayClient) -> None:
    with pytest.raises(errors.NoChannelError) as caught:
        await client.chat.complete("nope-model", HELLO)
    assert caught.value.status == 503


async def test_chat_drawn_images(client: RelayClient) -> None:
    drawn = await client.chat.generate_images("gpt-4-all", "画一只猫")
    assert drawn.image_urls and all(u.startswith("http") for u in drawn.image_urls)
    assert "![" not in drawn.text_without_images
    sd = await client.chat.generate_images("stable-diffusion-api", "a lighthouse at dusk")
    assert len(sd.image_urls) >= 1


async def test_stream_timeout_bounds_silence_not_the_whole_answer(
    session: aiohttp.ClientSession,
) -> None:
    async with SimRelay(api_key="sk-sim", chunk_delay_s=0.05) as relay:
        client = RelayClient(session, base_url=relay.base_url, api_key="sk-sim", timeout_s=0.15)
        deltas = [d async for d in client.chat.stream("gpt-4o", HELLO)]
    # Each gap is 0.05 s; with at least four chunks the whole answer outlasts timeout_s.
    assert len([d for d in deltas if d.text]) >= 4
    assert any(d.finish_reason for d in deltas)


async def test_stream_stalling_midway_times_out(session: aiohttp.ClientSession) -> None:
    async with SimRelay(api_key="sk-sim", chunk_delay_s=0.4) as relay:
        client = RelayClient(session, base_url=relay.base_url, api_key="sk-sim", timeout_s=0.1)
        with pytest.raises(errors.RelayTimeoutError):
            async for _ in client.chat.stream("gpt-4o", HELLO):
                pass


def _sse(*events: str, newline: str = "\n") -> bytes:
    return "".join(f"data: {event}{newline}{newline}" for event in events).encode()


def _text_chunk(text: str, finish: str | None = None) -> str:
    return json.dumps({"choices": [{"delta": {"content": text}, "finish_reason": finish}]})


async def test_stream_lines_split_across_reads_keep_every_piece(
    client: RelayClient, sim: SimRelay
) -> None:
    # ~300 KB of CRLF-separated events: the body reaches the client in many reads, cut at
    # arbitrary points inside lines; the last line (the one that finishes the answer) has
    # no line break at all.
    pieces = [f"piece {n:05d} " for n in range(4000)]
    body = _sse(*map(_text_chunk, pieces), newline="\r\n")
    body += f"data: {_text_chunk('', 'stop')}".encode()
    sim.add_fault(Fault("POST", CHAT_PATH, status=200, raw_body=body,
                        headers={"Content-Type": "text/event-stream"}))
    deltas = [d async for d in client.chat.stream("gpt-4o", HELLO)]
    assert "".join(d.text for d in deltas) == "".join(pieces)
    assert deltas[-1].finish_reason == "stop"


async def test_a_line_that_never_ends_stops_at_the_response_cap(
    make_client: MakeClient, sim: SimRelay
) -> None:
    client = make_client(max_response_bytes=100_000)
    body = _sse(_text_chunk("Hel")) + b"data: " + b"x" * 300_000
    sim.add_fault(Fault("POST", CHAT_PATH, status=200, raw_body=body,
                        headers={"Content-Type": "text/event-stream"}))
    texts: list[str] = []
    with pytest.raises(errors.ResponseTooLargeError):
        async for delta in client.chat.stream("gpt-4o", HELLO):
            texts.append(delta.text)
    assert texts == ["Hel"]
