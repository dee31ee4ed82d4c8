"""Auth, unknown routes, recording and every kind of injected fault."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.sim import Fault, SimRelay

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


async def test_missing_and_wrong_keys_get_401_envelope_a(
    sim: SimRelay, session: aiohttp.ClientSession
) -> None:
    url = f"{sim.base_url}/v1/chat/completions"
    async with session.post(url, json=CHAT) as response:
        assert response.status == 401
        error = (await response.json())["error"]
    assert (
        error["message"].startswith("未提供令牌 (request id: ") and error["type"] == "new_api_error"
    )
    wrong_key = {"Authorization": "Bearer sk-wrong"}
    async with session.post(url, json=CHAT, headers=wrong_key) as response:
        assert response.status == 401
        assert (await response.json())["error"]["message"].startswith("无效的令牌")
    async with session.get(f"{sim.base_url}/mj/task/queue") as response:
        assert response.status == 401


async def test_mj_routes_accept_mj_api_secret(
    sim: SimRelay, session: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": "midjourney-proxy", "mj-api-secret": "sk-sim"}
    async with session.get(f"{sim.base_url}/mj-turbo/mj/task/queue", headers=headers) as response:
        assert response.status == 200
    async with session.post(
        f"{sim.base_url}/v1/chat/completions", json=CHAT, headers={"mj-api-secret": "sk-sim"}
    ) as response:
        assert response.status == 401


async def test_api_key_none_accepts_anything(session: aiohttp.ClientSession) -> None:
    async with (
        SimRelay(None) as sim,
        session.post(f"{sim.base_url}/v1/chat/completions", json=CHAT) as response,
    ):
        assert response.status == 200


async def test_unknown_route_is_a_clear_404(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{sim.base_url}/v2/teleport") as response:
        assert response.status == 404
        message = (await response.json())["error"]["message"]
    assert "no route for POST /v2/teleport" in message and "(simulated relay)" in message


async def test_requests_are_recorded_with_query_headers_and_json(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    waiter = asyncio.create_task(sim.wait_for_requests("/luma/v1/task", 1))
    async with http.get(f"{sim.base_url}/luma/v1/task", params={"id": "nope"}) as response:
        assert response.status == 404
    (recorded,) = await waiter
    assert recorded.method == "GET" and recorded.query == {"id": "nope"}
    assert recorded.headers["Authorization"] == "Bearer sk-sim"
    async with http.post(f"{sim.base_url}/v1/chat/completions", json=CHAT):
        pass
    assert sim.requests_to("/v1/chat/completions", "POST")[0].json == CHAT
    with pytest.raises(TimeoutError):
        await sim.wait_for_requests("/never", 1, timeout=0.05)


async def test_status_fault_replays_the_envelope_with_headers_then_clears(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    sim.add_fault(Fault("POST", "/v1/chat/completions", status=429, headers={"Retry-After": "2"}))
    url = f"{sim.base_url}/v1/chat/completions"
    async with http.post(url, json=CHAT) as response:
        assert response.status == 429 and response.headers["Retry-After"] == "2"
        assert (await response.json())["error"]["code"] == "rate_limit_exceeded"
    async with http.post(url, json=CHAT) as response:
        assert response.status == 200
    assert sim.faults == []


async def test_json_and_text_bodies_and_times(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    sim.add_fault(Fault("GET", "/mj/task/*/fetch", status=500, json_body={"oops": 1}, times=2))
    sim.add_fault(Fault("*", "/suno/v1/music", status=502, text_body="bad gateway"))
    for _ in range(2):
        async with http.get(f"{sim.base_url}/mj-relax/mj/task/123/fetch") as response:
            assert (response.status, await response.json()) == (500, {"oops": 1})
    async with http.get(f"{sim.base_url}/mj/task/123/fetch") as response:
        assert response.status == 400  # fault used up: the real "task_no_found"
    async with http.post(f"{sim.base_url}/suno/v1/music", json={}) as response:
        assert (response.status, await response.text()) == (502, "bad gateway")


async def test_forever_fault_until_cleared(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    sim.add_fault(Fault("GET", "/mj/task/queue", status=503, times=None))
    for _ in range(3):
        async with http.get(f"{sim.base_url}/mj/task/queue") as response:
            assert response.status == 503
    sim.clear_faults()
    async with http.get(f"{sim.base_url}/mj/task/queue") as response:
        assert response.status == 200


async def test_truncate_cuts_json_in_half(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    sim.add_fault(Fault("POST", "/v1/chat/completions", truncate=True))
    async with http.post(f"{sim.base_url}/v1/chat/completions", json=CHAT) as response:
        assert response.status == 200
        with pytest.raises(ValueError):
            await response.json()


async def test_truncate_stops_a_stream_without_done(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    sim.add_fault(Fault("POST", "/v1/chat/completions", truncate=True))
    async with http.post(
        f"{sim.base_url}/v1/chat/completions", json={**CHAT, "stream": True}
    ) as response:
        text = await response.text()
    assert text.startswith("data: {") and "[DONE]" not in text


async def test_drop_closes_the_connection(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    sim.add_fault(Fault("POST", "/mj/submit/imagine", drop=True))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.post(f"{sim.base_url}/mj-fast/mj/submit/imagine", json={"prompt": "x"}):
            pass
    assert sim.mj_task_ids() == []


async def test_delay_lets_a_client_time_out(sim: SimRelay, http: aiohttp.ClientSession) -> None:
    sim.add_fault(Fault("POST", "/v1/embeddings", delay_s=5.0))
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(
            f"{sim.base_url}/v1/embeddings", json={}, timeout=aiohttp.ClientTimeout(total=0.1)
        ):
            pass


async def test_passthrough_delay_then_real_answer(
    sim: SimRelay, http: aiohttp.ClientSession
) -> None:
    sim.add_fault(Fault("POST", "/v1/chat/completions", delay_s=0.01, passthrough=True))
    async with http.post(f"{sim.base_url}/v1/chat/completions", json=CHAT) as response:
        assert response.status == 200
        assert "(simulated)" in (await response.json())["choices"][0]["message"]["content"]
