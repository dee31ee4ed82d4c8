"""Relay-client benchmarks against the simulator on loopback."""

from __future__ import annotations

import json
import time

import aiohttp

from bench.harness import AsyncFn, Case
from bot.egress import EgressPolicy
from bot.media import download
from bot.relay import ChatMessage, RelayClient
from bot.sim import SimRelay

_KEY = "sk-bench"
_POLLED_TASKS = 200
_EXCHANGES = 200  # per measured call of the per-exchange cases
_BATCH = 100  # ids in one list-by-condition poll, as the tracker sends them


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


async def _media_download() -> tuple[AsyncFn, AsyncFn, AsyncFn]:
    sim, session, client = await _open()
    submitted = [(await client.mj.imagine(f"bench dog {n}")).task_id for n in range(_EXCHANGES)]
    # Each task's link, as the tracker downloads a preview; the relay's host is trusted.
    urls = [task.image_url or "" for task in await client.mj.fetch_many(submitted)]
    policy = EgressPolicy([sim.base_url.split("//", 1)[1]])

    async def bot_download() -> object:
        return [
            await download(session, url, max_bytes=1 << 20, allowed=("image",), policy=policy)
            for url in urls
        ]

    async def raw_get() -> object:
        # The least a caller could do: GET, read the body.
        bodies = []
        for url in urls:
            async with session.get(url) as resp:
                bodies.append(await resp.read())
        return bodies

    async def teardown() -> None:
        await session.close()
        await sim.stop()

    return bot_download, raw_get, teardown


async def _mj_submit() -> tuple[AsyncFn, AsyncFn, AsyncFn]:
    sim, session, client = await _open()
    url = f"{sim.base_url}/mj/submit/imagine"
    headers = {"Authorization": f"Bearer {_KEY}"}

    async def bot_submit() -> object:
        return [(await client.mj.imagine(f"bench owl {n}")).task_id for n in range(_EXCHANGES)]

    async def raw_post() -> object:
        ids = []
        for n in range(_EXCHANGES):
            async with session.post(url, json={"prompt": f"bench owl {n}"}, headers=headers) as r:
                ids.append(json.loads(await r.read())["result"])
        return ids

    async def teardown() -> None:
        await session.close()
        await sim.stop()

    return bot_submit, raw_post, teardown


async def _mj_poll_parse() -> tuple[AsyncFn, AsyncFn, AsyncFn]:
    sim, session, client = await _open()
    ids = [(await client.mj.imagine(f"bench fox {n}")).task_id for n in range(_BATCH)]
    url = f"{sim.base_url}/mj/task/list-by-condition"
    headers = {"Authorization": f"Bearer {_KEY}"}

    async def bot_poll() -> object:
        return [await client.mj.fetch_many(ids) for _ in range(_EXCHANGES // 10)]

    async def raw_poll() -> object:
        answers = []
        for _ in range(_EXCHANGES // 10):
            async with session.post(url, json={"ids": ids}, headers=headers) as resp:
                answers.append(json.loads(await resp.read()))
        return answers

    async def teardown() -> None:
        await session.close()
        await sim.stop()

    return bot_poll, raw_poll, teardown


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
        "media_download",
        f"{_EXCHANGES} preview downloads through bot.media.download with the egress policy "
        "(subject) against a bare GET and read (baseline): the download path's own cost",
        _media_download,
        repeats=11,
        clock=time.process_time,
    ),
    Case(
        "mj_submit",
        f"{_EXCHANGES} /imagine submits through the relay client (subject) against a bare "
        "POST and json.loads (baseline): the transport's and the parser's cost",
        _mj_submit,
        repeats=11,
        clock=time.process_time,
    ),
    Case(
        "mj_poll_parse",
        f"{_EXCHANGES // 10} list-by-condition polls of {_BATCH} running tasks through "
        "fetch_many (subject) against a bare POST and json.loads (baseline): parsing tasks",
        _mj_poll_parse,
        repeats=11,
        clock=time.process_time,
    ),
    Case(
        "chat_stream_parse",
        "a ~9,000-character streamed answer through chat.stream (subject) against raw "
        "line splitting and json.loads (baseline): the client's parsing overhead",
        _chat_stream,
    ),
]
