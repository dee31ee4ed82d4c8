"""Relay-client benchmarks against the simulator on loopback."""

from __future__ import annotations

import json

import aiohttp

from bench.harness import AsyncFn, Case
from bot.relay import ChatMessage, RelayClient
from bot.sim import SimRelay

_KEY = "sk-bench"
_POLLED_TASKS = 200


async def _open() -> tuple[SimRelay, aiohttp.ClientSession, RelayClient]:
    # Jobs advance one step per poll; a huge step count keeps them running throughout.
    sim = SimRelay(api_key=_KEY, steps=10**9)
    await sim.start()
    session = aiohttp.ClientSession()
    client = RelayClient(session, base_url=sim.base_url, api_key=_KEY, timeout_s=30)
    return sim, session, client


async def _mj_polling() -> tuple[AsyncFn, AsyncFn, AsyncFn]:
    sim, session, client = await _open()
    ids = [(await client.mj.imagine(f"bench cat {n}")).task_id for n in range(_POLLED_TASKS)]

    async def batched() -> object:
        return await client.mj.fetch_many(ids)

    async def one_by_one() -> object:
        return [await client.mj.fetch(task_id) for task_id in ids]

    async def teardown() -> None:
        await session.close()
        await sim.stop()

    return batched, one_by_one, teardown


async def _chat_stream() -> tuple[AsyncFn, AsyncFn, AsyncFn]:
    sim, session, client = await _open()
    messages = [ChatMessage("user", "tell me everything [long]")]
    body = {
        "model": "gpt-4o-mini",
        "stream": True,
        "messages": [{"role": "user", "content": "tell me everything [long]"}],
    }

    async def client_stream() -> object:
        parts = [delta.text async for delta in client.chat.stream("gpt-4o-mini", messages)]
        return "".join(parts)

    async def raw_stream() -> object:
        # The least a caller could do: read lines, decode JSON, join the deltas.
        parts: list[str] = []
        async with session.post(
            f"{sim.base_url}/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {_KEY}"},
        ) as resp:
            async for raw in resp.content:
                line = raw.decode().strip()
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                choices = json.loads(line[6:]).get("choices") or [{}]
                parts.append(choices[0].get("delta", {}).get("content") or "")
        return "".join(parts)

    async def teardown() -> None:
        await session.close()
        await sim.stop()

    return client_stream, raw_stream, teardown


CASES = [
    Case(
        "mj_poll_200_batched",
        f"{_POLLED_TASKS} running Midjourney tasks: one list-by-condition request (subject) "
        "against one fetch per task (baseline)",
        _mj_polling,
    ),
    Case(
        "chat_stream_parse",
        "a ~9,000-character streamed answer through chat.stream (subject) against raw "
        "line splitting and json.loads (baseline): the client's parsing overhead",
        _chat_stream,
    ),
]
