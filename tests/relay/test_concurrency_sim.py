"""``[limits] relay_concurrency``: at most that many requests are in flight at once; the
rest wait their turn and are all answered."""

from __future__ import annotations

import asyncio

from bot.sim import SimRelay
from bot.sim.faults import Fault
from tests.relay.conftest import MakeClient


async def test_requests_beyond_the_bound_wait_their_turn(
    make_client: MakeClient, sim: SimRelay
) -> None:
    client = make_client(concurrency=2)
    # The relay holds each answer 0.6 s: a third request could only arrive after that.
    sim.add_fault(Fault("POST", "/mj/submit/imagine", delay_s=0.6, passthrough=True, times=None))
    submits = [asyncio.create_task(client.mj.imagine(f"cat {n}")) for n in range(5)]
    await sim.wait_for_requests("/mj/submit/imagine", 2)
    await asyncio.sleep(0.05)
    assert len(sim.requests_to("/mj/submit/imagine")) == 2
    results = await asyncio.gather(*submits)
    assert len({r.task_id for r in results}) == 5


async def test_without_a_bound_every_request_goes_at_once(
    make_client: MakeClient, sim: SimRelay
) -> None:
    client = make_client()
    sim.add_fault(Fault("POST", "/mj/submit/imagine", delay_s=0.3, passthrough=True, times=None))
    submits = [asyncio.create_task(client.mj.imagine(f"cat {n}")) for n in range(5)]
    await sim.wait_for_requests("/mj/submit/imagine", 5, timeout=0.25)
    await asyncio.gather(*submits)
