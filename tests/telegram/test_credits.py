"""[credits] and [limits] on Telegram: reserve before the relay, charge on success, refund
on every failure, exactly once; /usage shows the numbers."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from bot.config import AppConfig, CreditsConfig, LimitsConfig
from bot.core.credits import STALE_HOLD_S, SWEEP_EVERY_S, Credits
from bot.sim import SimRelay, media
from bot.sim.faults import Fault
from bot.store.community import LedgerEntry
from tests.fakes.clock import Jobs
from tests.telegram.conftest import Running
from tests.telegram.test_jobs import imagine, zoom_question

ALICE = "telegram:1001"
COSTS = {"mj_imagine": 8.0, "mj_action": 4.0, "dalle": 10.0, "chat_1k_tokens": 5000.0,
         "music": 15.0, "video": 30.0, "transcription_minute": 60.0}
PRESSES = 50


@pytest.fixture
def limits() -> LimitsConfig:
    return LimitsConfig(concurrent_jobs=3, cooldown_s=0)


@pytest.fixture
def bot_daily() -> float:
    return 0.0


@pytest.fixture
def anyone_can_press() -> bool:
    return False


@pytest.fixture
def credits_on() -> bool:
    return True


@pytest.fixture
def config(config: AppConfig, limits: LimitsConfig, bot_daily: float,
           anyone_can_press: bool, credits_on: bool) -> AppConfig:
    credits = CreditsConfig(enabled=credits_on, daily=20, cost=COSTS, bot_daily=bot_daily)
    return dataclasses.replace(
        config, credits=credits, limits=limits,
        bot=dataclasses.replace(config.bot, anyone_can_press=anyone_can_press),
    )


async def ledger(tgbot: Running) -> list[tuple[str, str, float]]:
    entries: list[LedgerEntry] = await tgbot.app.core.services.store.ledger_entries(ALICE)
    return [(e.kind, e.capability, e.amount) for e in entries]


async def submit(tgbot: Running, command: str, *, containing: str) -> None:
    before = len(tgbot.fake.messages_in(tgbot.dm))
    await tgbot.say(command)
    await tgbot.answer(after=before, containing=containing)
    await tgbot.adapter.settled()


async def test_a_job_is_reserved_then_charged_when_it_succeeds(
    tgbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    await submit(tgbot, "/imagine a red fox", containing="a red fox")
    assert await ledger(tgbot) == [("reserve", "midjourney", 8.0)]
    await submit(tgbot, "/usage", containing="Left")
    usage = tgbot.fake.messages_in(tgbot.dm)[-1].text
    assert "Reserved by running jobs: 8" in usage and "Left: 12" in usage
    for _ in range(3):
        await jobs.tick()
    assert await ledger(tgbot) == [("reserve", "midjourney", 8.0), ("charge", "midjourney", 8.0)]
    await jobs.tick()  # a later tick (or restart) settles nothing again
    assert len(await ledger(tgbot)) == 2


async def test_too_few_credits_are_refused_with_the_numbers_and_nothing_is_sent(
    tgbot: Running, sim: SimRelay
) -> None:
    await submit(tgbot, "/imagine one", containing="one")
    await submit(tgbot, "/imagine two", containing="two")
    await submit(tgbot, "/imagine three", containing="costs")
    refusal = tgbot.fake.messages_in(tgbot.dm)[-1].text
    assert refusal == "/imagine costs 8 credits; you have 4 left until 00:00 UTC."
    assert len(sim.requests_to("/mj/submit/imagine")) == 2


async def test_a_refused_submit_is_refunded(tgbot: Running, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/mj/submit/imagine", status=500))
    await submit(tgbot, "/imagine a fox", containing="")
    assert await ledger(tgbot) == [("reserve", "midjourney", 8.0), ("refund", "midjourney", 8.0)]


async def test_a_failed_job_is_refunded(tgbot: Running, jobs: Jobs) -> None:
    await submit(tgbot, "/imagine [fail] a fox", containing="a fox")
    for _ in range(3):
        await jobs.tick()
    assert await ledger(tgbot) == [("reserve", "midjourney", 8.0), ("refund", "midjourney", 8.0)]


async def test_a_timed_out_job_is_refunded(tgbot: Running, jobs: Jobs, sim: SimRelay) -> None:
    await submit(tgbot, "/imagine a slow fox", containing="a slow fox")
    [task_id] = sim.mj_task_ids()
    sim.set_mj_task_status(task_id, "IN_PROGRESS", progress="10%")
    await jobs.tick()
    await jobs.tick(7 * 24 * 3600)  # far past any deadline
    await jobs.tick()
    assert await ledger(tgbot) == [("reserve", "midjourney", 8.0), ("refund", "midjourney", 8.0)]


async def test_a_cancelled_job_is_refunded(tgbot: Running, jobs: Jobs, sim: SimRelay) -> None:
    await submit(tgbot, "/imagine a fox", containing="a fox")
    [task_id] = sim.mj_task_ids()
    sim.set_mj_task_status(task_id, "SUBMITTED")
    job = (await tgbot.app.core.services.store.list_jobs_for_owner("telegram", "1001"))[0]
    await submit(tgbot, f"/cancel {job.id}", containing="")
    await jobs.tick()
    await jobs.tick()
    assert await ledger(tgbot) == [("reserve", "midjourney", 8.0), ("refund", "midjourney", 8.0)]


async def test_an_answer_given_at_once_is_charged_and_a_failed_one_refunded(
    tgbot: Running, sim: SimRelay
) -> None:
    await submit(tgbot, "/dalle a lighthouse", containing="lighthouse")
    sim.add_fault(Fault("POST", "/v1/images/generations", status=400))
    await submit(tgbot, "/dalle a second lighthouse", containing="")
    assert await ledger(tgbot) == [
        ("reserve", "image", 10.0), ("charge", "image", 10.0),
        ("reserve", "image", 10.0), ("refund", "image", 10.0),
    ]


async def test_chat_is_charged_after_the_answer_by_its_usage_and_may_go_below_zero_once(
    tgbot: Running, sim: SimRelay
) -> None:
    await submit(tgbot, "hello", containing="simulated")
    [reserve, (kind, capability, amount)] = await ledger(tgbot)
    assert reserve == ("reserve", "chat", 5000.0)  # one unit held while the answer ran
    assert (kind, capability) == ("charge", "chat")
    assert amount > 20  # 5 credits a token: one answer overdraws the day
    await submit(tgbot, "and again?", containing="no credits left")
    assert len(sim.requests_to("/v1/chat/completions")) == 1


async def held_chat(tgbot: Running, sim: SimRelay, text: str) -> asyncio.Event:
    """Send ``text`` and return once the relay has the chat request, its answer held."""
    release = asyncio.Event()
    sim.add_fault(Fault("POST", "/v1/chat/completions", hold=release))
    before = len(sim.requests_to("/v1/chat/completions"))
    await tgbot.say(text)
    await sim.wait_for_requests("/v1/chat/completions", before + 1)
    return release


async def test_a_paid_chat_holds_its_unit_before_the_relay_is_asked(
    tgbot: Running, sim: SimRelay
) -> None:
    release = await held_chat(tgbot, sim, "hello")
    assert await ledger(tgbot) == [("reserve", "chat", 5000.0)]
    release.set()
    await tgbot.answer(containing="simulated")
    await tgbot.adapter.settled()
    assert [kind for kind, _, _ in await ledger(tgbot)] == ["reserve", "charge"]


@pytest.mark.parametrize("credits_on", [False])
async def test_with_credits_off_a_chat_waits_for_no_ledger_and_is_recorded_once_after(
    tgbot: Running, sim: SimRelay
) -> None:
    release = await held_chat(tgbot, sim, "hello")
    assert await ledger(tgbot) == []  # nobody can be refused: nothing held before the relay
    release.set()
    await tgbot.answer(containing="simulated")
    await tgbot.adapter.settled()
    [(kind, capability, amount)] = await ledger(tgbot)
    assert (kind, capability) == ("charge", "chat") and amount > 0
    await submit(tgbot, "/usage", containing="Left")
    assert "chat: 1 uses" in tgbot.fake.messages_in(tgbot.dm)[-1].text


@pytest.mark.parametrize("credits_on", [False])
async def test_with_credits_off_a_failed_chat_records_nothing(
    tgbot: Running, sim: SimRelay
) -> None:
    sim.add_fault(Fault("POST", "/v1/chat/completions", status=500, times=None))
    await submit(tgbot, "hello", containing="")
    assert await ledger(tgbot) == []


@pytest.mark.parametrize(("credits_on", "limits"), [(False, LimitsConfig(cooldown_s=30))])
async def test_with_credits_off_a_cooldown_still_holds_the_chat_before_the_relay(
    tgbot: Running, sim: SimRelay
) -> None:
    release = await held_chat(tgbot, sim, "hello")
    assert await ledger(tgbot) == [("reserve", "chat", 5000.0)]
    release.set()
    await tgbot.answer(containing="simulated")
    await tgbot.adapter.settled()
    await submit(tgbot, "hello again", containing="wait")
    assert len(sim.requests_to("/v1/chat/completions")) == 1


async def test_usage_shows_allowance_charged_reserved_left_and_capabilities(
    tgbot: Running, jobs: Jobs
) -> None:
    await submit(tgbot, "/imagine a fox", containing="a fox")
    for _ in range(3):
        await jobs.tick()
    await submit(tgbot, "/imagine an owl", containing="an owl")
    await submit(tgbot, "/usage", containing="Left")
    text = tgbot.fake.messages_in(tgbot.dm)[-1].text
    assert "the day resets at 00:00 UTC" in text
    for line in ("Daily allowance: 20", "Extra credits: 0", "Charged today: 8",
                 "Reserved by running jobs: 8", "Left: 4",
                 "Midjourney: 2 uses, 8 charged, 8 reserved"):
        assert line in text


async def test_the_poller_refunds_the_holds_a_vanished_host_left_once_they_go_stale(
    tgbot: Running, jobs: Jobs
) -> None:
    # A process on another host reserved for Alice, then died and never came back.
    services = tgbot.app.core.services
    vanished = "other-host:/data/relaybot.db:4242:abcdef"
    young = Credits(services.config.credits, services.store, tgbot.clock, holder=vanished)
    hold, _ = await young.reserve(ALICE, "midjourney", 8, lambda balance: False)
    assert hold is not None
    await jobs.tick()  # polls and sweeps: a hold this young may still be in use
    await jobs.tick(SWEEP_EVERY_S)
    await submit(tgbot, "/usage", containing="Left")
    assert "Left: 12" in tgbot.fake.messages_in(tgbot.dm)[-1].text
    await jobs.tick(STALE_HOLD_S)
    assert await ledger(tgbot) == [("reserve", "midjourney", 8.0), ("refund", "midjourney", 8.0)]

    # Sweeps run every few minutes, not on every tick.
    old = Credits(services.config.credits, services.store,
                  lambda: tgbot.clock() - STALE_HOLD_S, holder=vanished)
    hold, _ = await old.reserve(ALICE, "midjourney", 8, lambda balance: False)
    assert hold is not None
    await jobs.tick()  # seconds after the last sweep: not looked at yet
    assert len(await ledger(tgbot)) == 3
    await jobs.tick(SWEEP_EVERY_S)
    assert [kind for kind, _, _ in await ledger(tgbot)] == ["reserve", "refund"] * 2


async def test_running_jobs_are_limited_per_user(tgbot: Running, sim: SimRelay) -> None:
    await tgbot.app.core.services.store.set_allowance(ALICE, 1000, at=tgbot.clock())
    for prompt in ("one", "two", "three"):
        await submit(tgbot, f"/imagine {prompt}", containing=prompt)
    await submit(tgbot, "/imagine four", containing="running")
    text = tgbot.fake.messages_in(tgbot.dm)[-1].text
    assert text == ("You already have 3 jobs running (at most 3). "
                    "Try again when one of them has finished.")
    assert len(sim.requests_to("/mj/submit/imagine")) == 3


@pytest.mark.parametrize("limits", [LimitsConfig(cooldown_s=30)])
async def test_a_cooldown_answers_when_to_try_again(tgbot: Running, sim: SimRelay) -> None:
    await submit(tgbot, "/dalle a lighthouse", containing="lighthouse")
    tgbot.clock.now += 10
    await submit(tgbot, "/dalle another lighthouse", containing="wait")
    assert tgbot.fake.messages_in(tgbot.dm)[-1].text == (
        "Please wait 20 s before the next paid command."
    )
    assert len(sim.requests_to("/v1/images/generations")) == 1
    await submit(tgbot, "/usage", containing="Left")  # free commands are not held back
    tgbot.clock.now += 21
    await submit(tgbot, "/dalle a third lighthouse", containing="third lighthouse")
    assert len(sim.requests_to("/v1/images/generations")) == 2


async def test_a_button_that_asks_first_is_paid_by_the_answer_that_starts_the_job(
    tgbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    await tgbot.app.core.services.store.set_allowance(ALICE, 100, at=tgbot.clock())
    await zoom_question(tgbot, jobs)  # /imagine, U1, then Custom Zoom asks for the prompt
    await tgbot.say("a lighthouse --zoom 1.2")
    await sim.wait_for_requests("/mj/submit/modal", 1)
    await tgbot.adapter.settled()
    for _ in range(3):
        await jobs.tick()
    kinds = [(kind, amount) for kind, _, amount in await ledger(tgbot)]
    assert kinds == [
        ("reserve", 8.0), ("charge", 8.0),  # /imagine
        ("reserve", 4.0), ("charge", 4.0),  # U1
        ("reserve", 4.0), ("refund", 4.0),  # Custom Zoom only asked
        ("reserve", 4.0), ("charge", 4.0),  # the answer started the zoom
    ]


async def test_chats_sent_at_once_with_credits_for_one_overdraw_by_one_answer_only(
    tgbot: Running, sim: SimRelay
) -> None:
    groups = [tgbot.fake.group(-500 - n, "Group") for n in range(20)]
    for group in groups:
        await tgbot.say("/chat hello", chat=group)
    await tgbot.fake.wait_until(
        lambda: all(tgbot.fake.messages_in(group) for group in groups), what="20 answers"
    )
    await tgbot.adapter.settled()
    assert len(sim.requests_to("/v1/chat/completions")) == 1
    assert [e[:2] for e in await ledger(tgbot) if e[0] == "charge"] == [("charge", "chat")]
    refused = [m.text for g in groups for m in tgbot.fake.messages_in(g)
               if "no credits left" in m.text]
    assert len(refused) == 19


def _answer_with_usage(total_tokens: str) -> Fault:
    chunks = [
        '{"choices":[{"index":0,"delta":{"content":"a hostile answer"},"finish_reason":null}]}',
        '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
        '{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,'
        f'"total_tokens":{total_tokens}}}}}',
    ]
    body = "".join(f"data: {chunk}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
    return Fault("POST", "/v1/chat/completions", status=200, raw_body=body.encode(),
                 headers={"Content-Type": "text/event-stream"})


@pytest.mark.parametrize("total_tokens", ["Infinity", "NaN", "-Infinity", "1e400", "-5000",
                                          "1e30", '"9e99"'])
async def test_a_hostile_usage_is_charged_a_bounded_amount_and_usage_still_answers(
    tgbot: Running, sim: SimRelay, total_tokens: str
) -> None:
    await tgbot.app.core.services.store.set_allowance(ALICE, 1e9, at=tgbot.clock())
    sim.add_fault(_answer_with_usage(total_tokens))
    await submit(tgbot, "hello", containing="hostile answer")
    [charge] = [amount for kind, _, amount in await ledger(tgbot) if kind == "charge"]
    assert 0 < charge <= 2_000 * COSTS["chat_1k_tokens"]  # at most 2M tokens, never below 0
    await submit(tgbot, "/usage", containing="Left")


async def test_answering_suno_extend_is_paid_like_a_music_command(
    tgbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    store = tgbot.app.core.services.store
    await store.set_allowance(ALICE, 100, at=tgbot.clock())
    await submit(tgbot, "/music a song about rain", containing="rain")
    for _ in range(4):
        await jobs.tick()
    clip = next(m for m in tgbot.fake.messages_in(tgbot.dm) if any("Extend" in x for x in m.labels))
    extend = next(x for x in clip.labels if "Extend" in x)

    async def ask() -> None:
        asked = sum(1 for m in tgbot.fake.messages_in(tgbot.dm) if m.force_reply)
        tgbot.fake.press(tgbot.alice, clip, extend)
        await tgbot.fake.wait_until(
            lambda: sum(1 for m in tgbot.fake.messages_in(tgbot.dm) if m.force_reply) > asked,
            what="the Extend question")

    def extensions() -> int:
        return sum(1 for r in sim.requests_to("/suno/v1/v3.0/music", method="POST")
                   if r.json["input"].get("continue_clip_id"))

    await ask()
    await store.set_allowance(ALICE, 0, at=tgbot.clock())  # spent elsewhere meanwhile
    await submit(tgbot, "30", containing="credits")
    assert extensions() == 0, "an unpaid answer started no extension"
    await store.set_allowance(ALICE, 100, at=tgbot.clock())
    await ask()
    await submit(tgbot, "30", containing="")
    await sim.wait_for_requests("/suno/v1/v3.0/music", 2)
    assert extensions() == 1
    for _ in range(4):
        await jobs.tick()
    music = [(kind, amount) for kind, capability, amount in await ledger(tgbot)
             if capability == "music"]
    assert music == [
        ("reserve", 15.0), ("charge", 15.0),  # /music
        ("reserve", 15.0), ("refund", 15.0),  # Extend only asked
        ("reserve", 15.0), ("refund", 15.0),  # Extend only asked again
        ("reserve", 15.0), ("charge", 15.0),  # the answer started the extension
    ]


async def test_jobs_sent_at_once_stop_at_the_running_jobs_limit(
    tgbot: Running, sim: SimRelay
) -> None:
    await tgbot.app.core.services.store.set_allowance(ALICE, 1000, at=tgbot.clock())
    groups = [tgbot.fake.group(-700 - n, "Group") for n in range(12)]
    for n, group in enumerate(groups):
        await tgbot.say(f"/imagine fox {n}", chat=group)
    await tgbot.fake.wait_until(
        lambda: all(tgbot.fake.messages_in(group) for group in groups), what="12 answers"
    )
    await tgbot.adapter.settled()
    assert len(sim.requests_to("/mj/submit/imagine")) == 3
    refused = [m.text for g in groups for m in tgbot.fake.messages_in(g) if "running" in m.text]
    assert len(refused) == 9


async def test_an_overdrawn_day_is_forgotten_at_the_reset_not_owed_every_day_after(
    tgbot: Running, sim: SimRelay
) -> None:
    await submit(tgbot, "hello", containing="simulated")  # one answer overdraws the day
    await submit(tgbot, "again", containing="no credits left")
    for _ in range(2):
        tgbot.clock.now += 86_400
        await submit(tgbot, "/usage", containing="Left")
        text = tgbot.fake.messages_in(tgbot.dm)[-1].text
        assert "Left: 20" in text and "Extra credits: 0" in text
    await submit(tgbot, "a new day", containing="simulated")
    assert len(sim.requests_to("/v1/chat/completions")) == 2


@pytest.mark.parametrize("bot_daily", [20.0])
async def test_once_the_bot_cap_is_spent_chat_is_refused_too(tgbot: Running, sim: SimRelay) -> None:
    await tgbot.app.core.services.store.set_allowance(ALICE, 10**6, at=tgbot.clock())
    await submit(tgbot, "/dalle a lighthouse", containing="lighthouse")
    await submit(tgbot, "/dalle a second lighthouse", containing="lighthouse")
    await submit(tgbot, "hello", containing="spent all of today")
    assert sim.requests_to("/v1/chat/completions") == []


# -- presses: the one-press claim comes before the credits and limits -------------------


def toasts(tgbot: Running, after: int) -> list[str]:
    return [str(c.params.get("text", "")) for c in tgbot.fake.sent("answerCallbackQuery")[after:]]


async def test_fifty_presses_with_credits_for_one_reserve_once_and_are_told_it_is_running(
    tgbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    grid = await imagine(tgbot, jobs, "a lighthouse")
    # /imagine was charged 8 of 12: exactly one U1 (4) is left.
    await tgbot.app.core.services.store.set_allowance(ALICE, 12, at=tgbot.clock())
    release = asyncio.Event()
    sim.add_fault(Fault("POST", "/mj/submit/action", hold=release, times=None))
    answered = len(tgbot.fake.sent("answerCallbackQuery"))
    for _ in range(PRESSES):
        tgbot.fake.press(tgbot.alice, grid, "U1")
    await sim.wait_for_requests("/mj/submit/action", 1)
    release.set()
    await tgbot.fake.wait_for("answerCallbackQuery", answered + PRESSES)
    await tgbot.adapter.settled()
    assert len(sim.requests_to("/mj/submit/action")) == 1
    notices = toasts(tgbot, answered)
    assert sum("Already working on it" in text for text in notices) == PRESSES - 1
    assert not any("credits" in text for text in notices)
    assert not any("credits" in m.text for m in tgbot.fake.messages_in(tgbot.dm))
    assert await ledger(tgbot) == [
        ("reserve", "midjourney", 8.0), ("charge", "midjourney", 8.0),  # /imagine
        ("reserve", "midjourney", 4.0),  # U1, once; no refunds
    ]


@pytest.mark.parametrize("anyone_can_press", [True])
async def test_a_press_refused_for_credits_leaves_the_button_to_someone_who_has_them(
    tgbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    grid = await imagine(tgbot, jobs, "a lighthouse")
    bob_id = "telegram:1002"
    await tgbot.app.core.services.store.set_allowance(bob_id, 0, at=tgbot.clock())
    bob = tgbot.fake.user(1002, "Bob")
    answered = len(tgbot.fake.sent("answerCallbackQuery"))
    tgbot.fake.press(bob, grid, "U1")
    await tgbot.fake.wait_for("answerCallbackQuery", answered + 1)
    await tgbot.adapter.settled()
    refused = toasts(tgbot, answered) + [m.text for m in tgbot.fake.messages_in(tgbot.dm)]
    assert any("costs 4 credits; you have 0 left" in text for text in refused)
    assert sim.requests_to("/mj/submit/action") == []
    assert await tgbot.app.core.services.store.ledger_entries(bob_id) == [], "nothing reserved"

    tgbot.fake.press(tgbot.alice, grid, "U1")
    await sim.wait_for_requests("/mj/submit/action", 1)
    await tgbot.fake.wait_for("answerCallbackQuery", answered + 2)
    assert not any("Already" in text for text in toasts(tgbot, answered))
    assert ("reserve", "midjourney", 4.0) in await ledger(tgbot)


async def test_different_buttons_pressed_at_once_stop_at_the_running_jobs_limit(
    tgbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    grid = await imagine(tgbot, jobs, "a lighthouse")
    await tgbot.app.core.services.store.set_allowance(ALICE, 1000, at=tgbot.clock())
    release = asyncio.Event()
    sim.add_fault(Fault("POST", "/mj/submit/action", hold=release, times=None))
    answered = len(tgbot.fake.sent("answerCallbackQuery"))
    for label in ("U1", "U2", "U3", "U4"):
        tgbot.fake.press(tgbot.alice, grid, label)
    await sim.wait_for_requests("/mj/submit/action", 3)
    await tgbot.fake.wait_until(
        lambda: any("running" in text for text in toasts(tgbot, answered))
        or any("running" in m.text for m in tgbot.fake.messages_in(tgbot.dm)),
        what="the fourth press refused")
    release.set()
    await tgbot.fake.wait_for("answerCallbackQuery", answered + 4)
    await tgbot.adapter.settled()
    assert len(sim.requests_to("/mj/submit/action")) == 3
    jobs_now = await tgbot.app.core.services.store.list_jobs_for_owner("telegram", "1001")
    assert len(jobs_now) == 1 + 3, "the grid and three upscales"
    refusals = [
        t
        for t in toasts(tgbot, answered) + [m.text for m in tgbot.fake.messages_in(tgbot.dm)]
        if "You already have 3 jobs running (at most 3)" in t
    ]
    assert len(refusals) == 1


async def test_a_hostile_transcription_duration_is_charged_what_the_file_can_hold(
    tgbot: Running, sim: SimRelay
) -> None:
    voice = media.make_ogg_opus()
    sim.add_fault(Fault("POST", "/v1/audio/transcriptions", status=200,
                        json_body={"text": "hello", "duration": 1e12}))
    tgbot.fake.send_voice(tgbot.dm, tgbot.alice, voice, caption="/transcribe")
    await tgbot.answer(containing="hello")
    await tgbot.adapter.settled()
    [(kind, _, amount)] = (await ledger(tgbot))[1:]
    # 60 credits a minute: a file of len(voice) bytes plays at most len(voice)/500 seconds.
    assert kind == "charge" and 0 < amount <= len(voice) / 500
