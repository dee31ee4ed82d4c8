"""Midjourney end to end against the simulated relay: submits, polling, buttons, modal."""

from __future__ import annotations

import aiohttp
import pytest

from bot.relay import MjAction, MjMode, MjStatus, MjTask, RelayClient, errors
from bot.relay.mj_parse import parse_submit
from bot.sim import Fault, SimRelay
from tests.relay.conftest import MakeClient


async def _poll(client: RelayClient, task_id: str) -> MjTask:
    for _ in range(10):
        task = await client.mj.fetch(task_id)
        if task.status.is_final:
            return task
    raise AssertionError(f"task {task_id} never finished")


async def test_imagine_poll_to_success_with_buttons(client: RelayClient, sim: SimRelay) -> None:
    submit = await client.mj.imagine("a red fox", notify_hook="http://127.0.0.1:1/hook", state="c1")
    assert submit.code == 1 and submit.task_id and not submit.needs_modal
    sent = sim.requests_to("/mj/submit/imagine")[0]
    assert sent.mode is None
    assert sent.json == {
        "prompt": "a red fox",
        "notifyHook": "http://127.0.0.1:1/hook",
        "state": "c1",
    }
    first = await client.mj.fetch(submit.task_id)
    assert first.status in (MjStatus.SUBMITTED, MjStatus.IN_PROGRESS, MjStatus.SUCCESS)
    task = await _poll(client, submit.task_id)
    assert task.status is MjStatus.SUCCESS and task.progress == 100
    assert task.action is MjAction.IMAGINE and task.image_url
    assert [b.label for b in task.buttons if b.label.startswith("U")] == ["U1", "U2", "U3", "U4"]
    assert task.message_hash


@pytest.mark.parametrize("mode", ["relax", "turbo", "fast"])
async def test_mode_picks_the_path_prefix(client: RelayClient, sim: SimRelay, mode: MjMode) -> None:
    await client.mj.imagine("a cat", mode=mode)
    recorded = sim.requests_to("/mj/submit/imagine")[0]
    assert recorded.mode == (None if mode == "fast" else mode)


async def test_client_default_mode_applies(make_client: MakeClient, sim: SimRelay) -> None:
    relax_client: RelayClient = make_client(mj_mode="relax")
    await relax_client.mj.shorten("a very long prompt about a cat")
    assert sim.requests_to("/mj/submit/shorten")[0].mode == "relax"
    with pytest.raises(ValueError):
        make_client(mj_mode="warp")


async def test_upscale_button_then_custom_zoom_modal(client: RelayClient, sim: SimRelay) -> None:
    grid_id = sim.add_mj_task("a pig")
    grid = await client.mj.fetch(grid_id)
    upscale = await client.mj.action(grid_id, grid.buttons[0].custom_id, choose_same_channel=True)
    assert upscale.task_id != grid_id
    image = await _poll(client, upscale.task_id)
    assert image.action is MjAction.UPSCALE and image.status is MjStatus.SUCCESS
    zoom = next(b for b in image.buttons if b.custom_id.startswith("MJ::CustomZoom"))
    opened = await client.mj.action(image.id, zoom.custom_id)
    assert opened.needs_modal and opened.code == 21
    assert (await client.mj.fetch(opened.task_id)).status is MjStatus.MODAL
    confirmed = await client.mj.modal(opened.task_id, prompt="a pig --zoom 1.5")
    assert confirmed.task_id == opened.task_id
    assert (await _poll(client, opened.task_id)).status is MjStatus.SUCCESS


async def test_other_submits(client: RelayClient, sim: SimRelay) -> None:
    png = "data:image/png;base64,iVBORw0KGgo="
    for submit in (
        await client.mj.blend([png, png], dimensions="SQUARE"),
        await client.mj.describe(png),
        await client.mj.shorten("a pink pig wearing a golden crown, oil painting"),
        await client.mj.swap_face(png, png),
    ):
        assert submit.task_id
    assert sim.requests_to("/mj/submit/blend")[0].json["dimensions"] == "SQUARE"
    assert sim.requests_to("/mj/insight-face/swap")[0].json == {
        "sourceBase64": png,
        "targetBase64": png,
    }
    with pytest.raises(ValueError):
        await client.mj.describe()


async def test_refusals_and_queue(client: RelayClient) -> None:
    with pytest.raises(errors.BannedPromptError) as banned:
        await client.mj.imagine("[banned] scene")
    assert banned.value.banned_word == "banned"
    with pytest.raises(errors.QueueFullError):
        await client.mj.imagine("[queue-full] cat")
    with pytest.raises(errors.RejectedError) as no_account:
        await client.mj.imagine("[no-account] cat")
    assert no_account.value.code == 3
    queued = await client.mj.imagine("[queued] cat")
    assert queued.code == 22 and queued.queue_position is not None and queued.task_id


async def test_failed_task_carries_reason(client: RelayClient) -> None:
    submit = await client.mj.imagine("[fail] a castle")
    task = await _poll(client, submit.task_id)
    assert task.status is MjStatus.FAILURE and task.fail_reason


async def test_unknown_task_and_unknown_action(client: RelayClient, sim: SimRelay) -> None:
    with pytest.raises(errors.NotFoundError):
        await client.mj.fetch("1111111111111111")
    grid_id = sim.add_mj_task("a pig")
    with pytest.raises(errors.UnknownActionError):
        await client.mj.action(grid_id, "MJ::JOB::does_not_exist::1")


async def test_new_api_mode_rejects_picreader(session: aiohttp.ClientSession) -> None:
    async with SimRelay(api_key="sk-sim", steps=1, new_api_mode=True) as relay:
        client = RelayClient(session, base_url=relay.base_url, api_key="sk-sim", timeout_s=5)
        describe_id = relay.add_mj_task("a pig", action="DESCRIBE")
        task = await client.mj.fetch(describe_id)
        assert task.message_hash is None or task.properties.get("messageHash") is None
        with pytest.raises(errors.UnknownActionError):
            await client.mj.action(describe_id, task.buttons[0].custom_id)
        grid = await client.mj.fetch(relay.add_mj_task("a pig"))
        assert grid.message_hash and "messageHash" not in grid.properties


async def test_queries(client: RelayClient, sim: SimRelay) -> None:
    ids = [sim.add_mj_task("one"), sim.add_mj_task("two")]
    many = await client.mj.fetch_many([*ids, "9999999999999999"])
    assert sorted(t.id for t in many) == sorted(ids)
    assert await client.mj.fetch_many([]) == ()
    assert len(sim.requests_to("/mj/task/list-by-condition")) == 1
    listed = await client.mj.list_tasks()
    assert {t.id for t in listed} >= set(ids)
    page = await client.mj.query(page_size=1)
    assert len(page.tasks) == 1 and page.total >= 2 and page.page_size == 1
    assert sim.requests_to("/mj/task/query")[0].json["pageSize"] == 1
    running = (await client.mj.imagine("a queued cat")).task_id
    assert running in {t.id for t in await client.mj.queue()}
    assert (await client.mj.image_seed(ids[0])).isdigit()
    image = await client.mj.image(ids[0])
    assert image.data.startswith(b"\x89PNG") and image.content_type == "image/png"


async def test_cancel(client: RelayClient, sim: SimRelay) -> None:
    task_id = (await client.mj.imagine("cancel me")).task_id
    await client.mj.cancel(task_id)
    assert sim.mj_task(task_id)["status"] == "CANCEL"
    with pytest.raises(errors.NotFoundError):
        await client.mj.cancel("1111111111111111")


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
