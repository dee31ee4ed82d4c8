"""Review findings in the relay client, each proven against the simulated relay."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.relay import RelayClient, RetryPolicy, errors
from bot.relay.mj_parse import parse_submit
from bot.sim import Fault, SimRelay

API_KEY = "sk-review"


async def _no_sleep(_delay: float) -> None:
    return None


@pytest.fixture
async def sim() -> AsyncIterator[SimRelay]:
    async with SimRelay(api_key=API_KEY, steps=2) as relay:
        yield relay


@pytest.fixture
async def client(sim: SimRelay) -> AsyncIterator[RelayClient]:
    async with aiohttp.ClientSession() as session:
        yield RelayClient(
            session,
            base_url=sim.base_url,
            api_key=API_KEY,
            timeout_s=5.0,
            retry=RetryPolicy(attempts=2),
            sleep=_no_sleep,
            random=lambda: 0.0,
        )


async def test_fetch_of_an_unknown_task_answered_with_an_empty_body_is_not_found(
    client: RelayClient, sim: SimRelay
) -> None:
    # midjourney-proxy's fetch returns Java null for an unknown id: HTTP 200, no body.
    # Before the fix this was a RelayDecodeError, so the tracker polled a lost task
    # until its deadline instead of reporting it lost.
    sim.add_fault(Fault("GET", "/mj/task/*/fetch", status=200, text_body="", times=None))
    with pytest.raises(errors.NotFoundError):
        await client.mj.fetch("1730621826053455")


async def test_fetch_of_garbage_is_still_a_decode_error(client: RelayClient, sim: SimRelay) -> None:
    sim.add_fault(Fault("GET", "/mj/task/*/fetch", status=200, text_body="<html>", times=None))
    with pytest.raises(errors.RelayDecodeError):
        await client.mj.fetch("1730621826053455")


def test_modal_wait_rewritten_to_code_1_by_new_api_still_needs_the_modal() -> None:
    # new-api rewrites upstream 21 to 1 for every action except INPAINT/CUSTOM_ZOOM, so a
    # remix variation that waits for its window comes back as code 1. Without needs_modal
    # the bot never asks for the prompt and the task sits in MODAL until it times out.
    submit = parse_submit(
        {
            "code": 1,
            "description": "Waiting for window confirm",
            "properties": {"finalPrompt": "pig --v 6.1", "remix": True},
            "result": "1730622195720121",
        }
    )
    assert submit.needs_modal is True
    assert submit.task_id == "1730622195720121"


def test_plain_code_1_submit_does_not_need_a_modal() -> None:
    submit = parse_submit({"code": 1, "description": "提交成功", "result": "17306218"})
    assert submit.needs_modal is False
