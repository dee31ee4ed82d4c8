"""Questions kept in the store: a ForceReply question asked before a restart is answered
after it, an expired one says so, and a Midjourney task that turns MODAL while it runs
gets a button that asks for the prompt and goes on under the same job."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.config import AppConfig
from bot.sim import SimRelay
from bot.store.base import JobState
from tests.fakes.clock import Jobs, JumpingClock, start_app
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.conftest import Running
from tests.telegram.test_jobs import imagine, press, results, zoom_question

Start = Callable[[], Awaitable[tuple[Running, Jobs]]]


@pytest.fixture
async def start(
    config: AppConfig, tg: FakeTelegram, clock: JumpingClock
) -> AsyncIterator[Start]:
    """Start the app on the same SQLite file; each start stops the one before."""
    alice = tg.user(1001, "Alice", username="alice")
    running: list[Running] = []

    async def begin() -> tuple[Running, Jobs]:
        if running:
            await running[-1].app.stop()
        app = await start_app(config, clock)
        assert app.tracker is not None
        running.append(Running(app, tg, clock, alice, tg.private_chat(alice)))
        return running[-1], Jobs(app.tracker, clock)

    yield begin
    if running:
        await running[-1].app.stop()


async def test_a_question_asked_before_a_restart_is_answered_after_it(
    start: Start, sim: SimRelay
) -> None:
    bot, jobs = await start()
    question = await zoom_question(bot, jobs)
    bot, jobs = await start()  # the bot restarts while Alice is typing

    await bot.say("a lighthouse at dawn --zoom 1.4", reply_to=question.message_id)
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse at dawn --zoom 1.4"
    await bot.adapter.settled()
    for _ in range(3):
        await jobs.tick()
    zoomed = results(bot)[-1]
    assert "U1" in zoomed.labels, "the zoomed grid was delivered after the restart"
    assert sim.requests_to("/v1/chat/completions") == [], "the answer was not chatted"


async def test_an_expired_question_answers_with_a_clear_message(
    start: Start, sim: SimRelay, clock: JumpingClock
) -> None:
    bot, jobs = await start()
    question = await zoom_question(bot, jobs)
    await bot.adapter.settled()
    clock.now += 16 * 60  # the question lives 15 minutes
    count = len(bot.fake.messages_in(bot.dm))
    await bot.say("a lighthouse --zoom 1.4", reply_to=question.message_id)
    await bot.adapter.settled()
    notice = await bot.answer(after=count, containing="expired")
    assert "Press the button again" in notice.text
    await bot.adapter.settled()
    assert sim.requests_to("/mj/submit/modal") == []
    assert sim.requests_to("/v1/chat/completions") == []


async def test_a_task_turning_modal_while_polled_asks_for_the_prompt_and_goes_on(
    start: Start, sim: SimRelay
) -> None:
    bot, jobs = await start()
    await bot.say("/imagine a castle in the fog")
    await bot.answer(containing="a castle in the fog")
    await bot.adapter.settled()
    [task_id] = sim.mj_task_ids()
    sim.mj_task_wants_modal(task_id)  # a remix account: Midjourney wants the prompt
    await jobs.tick()
    [status] = bot.fake.messages_in(bot.dm)
    assert "waiting for the prompt" in status.text
    assert status.labels == ["✏️ Send the prompt"]

    await press(bot, status, "✏️ Send the prompt")
    question = next(m for m in bot.fake.messages_in(bot.dm) if m.force_reply)
    assert "a castle in the fog" in question.text, "the original prompt is pre-filled"
    bot, jobs = await start()  # a restart while the question is open
    for _ in range(5):
        await jobs.tick()  # the job waits in MODAL instead of timing out
    await bot.say("a castle in the fog, at night", reply_to=question.message_id)
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json == {**modal.json, "taskId": task_id,
                          "prompt": "a castle in the fog, at night"}
    await bot.adapter.settled()
    for _ in range(4):
        await jobs.tick()
    store = bot.app.core.services.store
    [job] = await store.list_jobs_for_owner("telegram", str(bot.alice.id))
    assert job.state is JobState.DELIVERED and job.relay_task_id == task_id
    result = results(bot)[-1]
    shown = {m.message_id: m for m in bot.fake.messages_in(bot.dm)}
    status_now = shown[result.reply_to or 0]  # the status, replaced by its preview photo
    assert f"Job #{job.id}" in status_now.text and "✅" in status_now.text
    assert not status_now.buttons, "the prompt button is gone once the job goes on"
    assert "U1" in result.labels
    assert len(sim.requests_to("/mj/submit/imagine")) == 1


async def test_a_question_the_store_cannot_keep_is_never_shown(
    start: Start, sim: SimRelay, config: AppConfig
) -> None:
    # The question was shown first and stored after: with a full disk the user saw it,
    # then "Something went wrong", and their answer was chatted (a paid call).
    bot, jobs = await start()
    grid = await imagine(bot, jobs, "a lighthouse")
    await press(bot, grid, "U1")
    for _ in range(3):
        await jobs.tick()
    upscaled = results(bot)[-1]
    await _fail_question_writes(config)
    before = len(bot.fake.messages_in(bot.dm))
    toasts = len(bot.fake.sent("answerCallbackQuery"))
    bot.fake.press(bot.alice, upscaled, next(x for x in upscaled.labels if "Custom Zoom" in x))
    calls = await bot.fake.wait_for("answerCallbackQuery", toasts + 1)
    await bot.adapter.settled()
    shown = bot.fake.messages_in(bot.dm)[before:]
    assert not any(m.force_reply for m in shown), "no question that cannot be answered"
    assert "went wrong" in str(calls[-1].params.get("text"))


async def test_an_answer_the_store_cannot_take_is_told_so_not_lost(
    start: Start, sim: SimRelay, config: AppConfig
) -> None:
    # Taking the question from the store failed: the error reached the adapter, and the
    # user's answer got no reply at all.
    bot, jobs = await start()
    question = await zoom_question(bot, jobs)
    await bot.adapter.settled()
    await _fail_question_writes(config, "DELETE")
    count = len(bot.fake.messages_in(bot.dm))
    await bot.say("a lighthouse at dawn --zoom 1.4", reply_to=question.message_id)
    notice = await bot.answer(after=count, containing="went wrong")
    await bot.adapter.settled()
    assert notice.text
    assert sim.requests_to("/mj/submit/modal") == []
    assert sim.requests_to("/v1/chat/completions") == [], "the answer was not chatted"


async def _fail_question_writes(config: AppConfig, write: str = "INSERT") -> None:
    """SQLite's own failure, as a full disk gives it, for every stored question (or, with
    ``write="DELETE"``, for every question taken)."""
    path = config.storage.path
    assert path is not None

    def install() -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(f"CREATE TRIGGER test_full_disk BEFORE {write} ON pending_inputs BEGIN"
                         " SELECT RAISE(FAIL, 'database or disk is full (simulated)'); END")

    await asyncio.to_thread(install)


async def test_a_second_reply_to_an_answered_question_is_told_so_not_chatted(
    start: Start, sim: SimRelay
) -> None:
    # A double send, or a correction sent as another reply: the first answer went on as
    # the zoom; the others were answered as chat messages (paid calls).
    bot, jobs = await start()
    question = await zoom_question(bot, jobs)
    for n in range(1, 4):
        await bot.say(f"a lighthouse --zoom 1.{n}", reply_to=question.message_id)
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse --zoom 1.1"
    notice = await bot.answer(containing="already answered")
    await bot.adapter.settled()
    assert notice.text.startswith("That question was already answered")
    assert sim.requests_to("/v1/chat/completions") == [], "no reply was chatted"
