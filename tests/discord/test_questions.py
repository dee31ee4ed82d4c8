"""Questions kept in the store, on Discord: a modal opened before a restart and a channel
question asked before one are still answered after it; a modal of a replaced or already
answered question says it expired; a Midjourney task that turns MODAL while polled gets a
button whose modal sends the prompt to that same task."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.config import AppConfig
from bot.sim import SimRelay
from tests.discord.conftest import Running
from tests.discord.test_buttons import buttons_of
from tests.discord.test_jobs import _modal_inputs, bot_messages, press_custom_zoom, with_files
from tests.fakes.clock import Jobs, JumpingClock, start_app
from tests.fakes.discord_api import FakeDiscord

pytestmark = pytest.mark.sim(steps=2)

Start = Callable[[], Awaitable[tuple[Running, Jobs]]]


@pytest.fixture
async def start(config: AppConfig, dc: FakeDiscord, clock: JumpingClock) -> AsyncIterator[Start]:
    """Start the app on the same SQLite file; each start stops the one before."""
    running: list[Running] = []

    async def begin() -> tuple[Running, Jobs]:
        if running:
            await running[-1].app.stop()
        app = await start_app(config, clock)
        running.append(Running(app, dc, clock))
        return running[-1], Jobs(running[-1].tracker, clock)

    yield begin
    if running:
        await running[-1].app.stop()


async def job_stored(dcbot: Running) -> None:
    """Wait until the bot stored the job the relay just accepted: it does so after answering
    the relay, so ticking before would poll nothing yet."""
    store = dcbot.app.core.services.store
    for _ in range(500):
        if await store.list_active_jobs(limit=1):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the accepted task never became a job")


async def test_a_modal_opened_before_a_restart_still_answers(
    start: Start, sim: SimRelay
) -> None:
    bot, jobs = await start()
    zooming = await press_custom_zoom(bot, jobs)
    assert zooming.modal is not None and zooming.modal["custom_id"].startswith("rq:")
    bot, jobs = await start()  # the bot restarts while the modal is open

    submitted = await bot.fake.submit_modal(zooming, ["a lighthouse at dusk --zoom 2"])
    await bot.fake.wait_for("POST", f"/interactions/{submitted.id}/*/callback")
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse at dusk --zoom 2"
    await job_stored(bot)
    for _ in range(3):
        await jobs.tick()
    assert len(with_files(bot.fake)) == 3, "the zoomed grid arrived after the restart"


async def test_a_channel_question_asked_before_a_restart_still_answers(
    start: Start, sim: SimRelay
) -> None:
    bot, jobs = await start()
    fake = bot.fake
    zooming = await press_custom_zoom(bot, jobs)
    submitted = await fake.submit_modal(zooming, ["no zoom factor here"])
    [ask] = await fake.wait_for(
        "POST", f"/channels/{fake.channel_id}/messages",
        where=lambda c: "Reply to this message" in (c.content or ""),
    )
    await fake.wait_for("POST", f"/interactions/{submitted.id}/*/callback")
    question = next(m for m in bot_messages(fake) if m["content"] == ask.content)
    bot, jobs = await start()

    await fake.post_message("a lighthouse --zoom 1.8", reply_to=question["id"])
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse --zoom 1.8"


async def test_a_modal_of_a_replaced_or_answered_question_says_it_expired(
    start: Start, sim: SimRelay
) -> None:
    bot, jobs = await start()
    fake = bot.fake
    first = await press_custom_zoom(bot, jobs)
    upscaled = with_files(fake)[-1]
    zoom = next(b for label, b in buttons_of(upscaled).items() if "Custom Zoom" in label)
    second = await fake.click(upscaled["id"], zoom["custom_id"])  # asks anew
    await fake.wait_for("POST", f"/interactions/{second.id}/*/callback")

    stale = await fake.submit_modal(first, ["a lighthouse --zoom 1.2"])
    [notice] = await fake.wait_for(
        "POST", f"/webhooks/*/{stale.token}", where=lambda c: "expired" in (c.content or "")
    )
    assert notice.json["flags"] & 64, "only the presser sees it"
    assert sim.requests_to("/mj/submit/modal") == []
    await fake.submit_modal(second, ["a lighthouse --zoom 1.2"])
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse --zoom 1.2"

    again = await fake.submit_modal(second, ["a lighthouse --zoom 1.9"])  # answered already
    await fake.wait_for(
        "POST", f"/webhooks/*/{again.token}",
        where=lambda c: "already answered" in (c.content or ""),
    )
    assert len(sim.requests_to("/mj/submit/modal")) == 1, "one answer, one paid action"


async def test_a_task_turning_modal_gets_a_button_whose_modal_sends_the_prompt(
    start: Start, sim: SimRelay
) -> None:
    bot, jobs = await start()
    fake = bot.fake
    asked = await fake.slash("imagine", {"prompt": "a red fox"})
    await fake.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    [task_id] = sim.mj_task_ids()
    sim.mj_task_wants_modal(task_id)
    await jobs.tick()
    status: dict[str, Any] = fake.messages[asked.original_id or ""]
    assert "waiting for the prompt" in status["content"]
    send = buttons_of(status)["✏️ Send the prompt"]

    pressing = await fake.click(status["id"], send["custom_id"])
    [shown] = await fake.wait_for("POST", f"/interactions/{pressing.id}/*/callback")
    assert _modal_inputs(shown.json["data"])[0]["value"] == "a red fox"
    submitted = await fake.submit_modal(pressing, ["a red fox, in the snow"])
    await fake.wait_for("POST", f"/interactions/{submitted.id}/*/callback")
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert (modal.json["taskId"], modal.json["prompt"]) == (task_id, "a red fox, in the snow")
    for _ in range(4):
        await jobs.tick()
    [result] = with_files(fake)
    assert list(buttons_of(result))[:4] == ["U1", "U2", "U3", "U4"]
    assert len(sim.requests_to("/mj/submit/imagine")) == 1
