"""Which calls are retried, how often, and how long the client waits between tries."""

from __future__ import annotations

import pytest

from bot.relay import RelayClient, RetryPolicy, errors
from bot.sim import Fault, SimRelay
from tests.relay.conftest import MakeClient, RecordingSleep

FETCH = "/mj/task/*/fetch"


async def test_fetch_retried_after_500(
    client: RelayClient, sim: SimRelay, sleeps: RecordingSleep
) -> None:
    task_id = sim.add_mj_task("a pig")
    sim.add_fault(Fault("GET", FETCH, status=500))
    task = await client.mj.fetch(task_id)
    assert task.id == task_id
    assert len(sim.requests_to(FETCH)) == 2
    assert sleeps.calls == [0.5]


async def test_fetch_honours_retry_after(
    client: RelayClient, sim: SimRelay, sleeps: RecordingSleep
) -> None:
    task_id = sim.add_mj_task("a pig")
    sim.add_fault(Fault("GET", FETCH, status=429, headers={"Retry-After": "2"}))
    await client.mj.fetch(task_id)
    assert sleeps.calls == [2.0]


async def test_long_retry_after_goes_to_the_caller(
    client: RelayClient, sim: SimRelay, sleeps: RecordingSleep
) -> None:
    sim.add_fault(Fault("GET", FETCH, status=429, headers={"Retry-After": "120"}))
    with pytest.raises(errors.RateLimitedError) as caught:
        await client.mj.fetch(sim.add_mj_task("a pig"))
    assert caught.value.retry_after == 120.0
    assert sleeps.calls == []


async def test_fetch_retried_after_dropped_connection(
    client: RelayClient, sim: SimRelay, sleeps: RecordingSleep
) -> None:
    task_id = sim.add_mj_task("a pig")
    # aiohttp itself repeats an idempotent request once on a dropped connection, so three
    # drops in a row are only survived with the client's own retry.
    sim.add_fault(Fault("GET", FETCH, drop=True, times=3))
    assert (await client.mj.fetch(task_id)).id == task_id
    assert len(sim.requests_to(FETCH)) == 4 and len(sleeps.calls) >= 1


async def test_poll_retried_after_timeout(make_client: MakeClient, sim: SimRelay) -> None:
    client = make_client(timeout_s=0.1)
    task_id = sim.add_mj_task("a pig")
    sim.add_fault(Fault("POST", "/mj/task/list-by-condition", delay_s=0.4, passthrough=True))
    (task,) = await client.mj.fetch_many([task_id])
    assert task.id == task_id
    assert len(sim.requests_to("/mj/task/list-by-condition")) == 2


async def test_retries_stop_after_the_policy_attempts(
    client: RelayClient, sim: SimRelay, sleeps: RecordingSleep
) -> None:
    sim.add_fault(Fault("GET", FETCH, status=502, times=None))
    with pytest.raises(errors.ServerError):
        await client.mj.fetch(sim.add_mj_task("a pig"))
    assert len(sim.requests_to(FETCH)) == 3
    assert sleeps.calls == [0.5, 1.0]


async def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(attempts=10, base_delay_s=0.5, max_delay_s=8.0, jitter=0.25)
    assert [policy.backoff(n, lambda: 0.0) for n in (1, 2, 3, 6)] == [0.5, 1.0, 2.0, 8.0]
    assert policy.backoff(1, lambda: 1.0) == pytest.approx(0.375)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("POST", "/mj/submit/imagine", status=500),
        Fault("POST", "/mj/submit/imagine", drop=True),
        Fault("POST", "/mj/submit/imagine", status=429),
    ],
)
async def test_paid_submit_is_never_repeated(
    client: RelayClient, sim: SimRelay, sleeps: RecordingSleep, fault: Fault
) -> None:
    sim.add_fault(fault)
    with pytest.raises(errors.RelayError) as caught:
        await client.mj.imagine("an expensive cat")
    if isinstance(caught.value, errors.RelayConnectionError):
        assert caught.value.sent is True
    assert len(sim.requests_to("/mj/submit/imagine")) == 1
    assert sleeps.calls == []


async def test_chat_and_music_not_repeated_after_500(
    client: RelayClient, sim: SimRelay, sleeps: RecordingSleep
) -> None:
    sim.add_fault(Fault("POST", "/suno/v1/music", status=500))
    with pytest.raises(errors.ServerError):
        await client.suno.generate(description="a song")
    assert len(sim.requests_to("/suno/v1/music")) == 1 and sleeps.calls == []


async def test_no_channel_is_not_retried(
    client: RelayClient, sim: SimRelay, sleeps: RecordingSleep
) -> None:
    body = {"error": {"message": "无可用渠道", "code": "model_not_found"}}
    sim.add_fault(Fault("GET", FETCH, status=503, json_body=body))
    with pytest.raises(errors.NoChannelError):
        await client.mj.fetch(sim.add_mj_task("a pig"))
    assert sleeps.calls == []


async def test_connect_failure_is_retried_even_for_a_submit(
    make_client: MakeClient, closed_port: int, sleeps: RecordingSleep
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{closed_port}")
    with pytest.raises(errors.RelayConnectionError) as caught:
        await client.mj.imagine("a cat")
    assert caught.value.sent is False
    assert sleeps.calls == [0.5, 1.0]
    sleeps.calls.clear()
    with pytest.raises(errors.RelayConnectionError):
        async for _ in client.chat.stream("gpt-4o", []):
            pass
    assert len(sleeps.calls) == 2


async def test_a_relay_url_that_cannot_be_parsed_fails_at_once(
    make_client: MakeClient, sleeps: RecordingSleep
) -> None:
    client = make_client(base_url="http://[::1")  # an unclosed IPv6 bracket
    for _ in range(2):  # the second time too: a failed parse is not remembered as a URL
        with pytest.raises(errors.RelayConnectionError, match="invalid relay URL") as caught:
            await client.mj.fetch_many(["1"])
        assert caught.value.sent is False
    with pytest.raises(errors.RelayConnectionError, match="invalid relay URL"):
        async for _ in client.chat.stream("gpt-4o", []):
            pass
    assert sleeps.calls == [], "nothing to retry: the URL stays invalid"
