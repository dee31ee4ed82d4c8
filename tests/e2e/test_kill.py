"""``kill -9`` at the dangerous moments, on a real ``relaybot run`` child process.

The moments are made deterministic by holding answers: the relay simulator creates the
task but keeps its answer back, the Telegram fake keeps a status message or an upload
unanswered; the bot is killed while they wait, then started again on the same database.
Every task the relay accepted is delivered exactly once (at most the one piece that was
in flight is repeated), and at once: the restarted process has the same identity (host
and storage path), so it takes over its predecessor's leases instead of waiting the
300 s for them to expire.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.sim import Fault, SimRelay
from tests.e2e.process import ENV, STARTUP_S, Relaybot, running_relaybot, write_config
from tests.fakes.telegram_api import ApiCall, FakeTelegram

BURST = 20
RESUME_S = 60.0  # a cold start plus the work; far below the 300 s lease


async def until(predicate: Callable[[], bool], within_s: float, what: str) -> None:
    """Wait (real time, polling) for something the fakes show."""
    deadline = time.monotonic() + within_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def kill_9(operator: Relaybot) -> None:
    operator.process.send_signal(signal.SIGKILL)
    assert await operator.exited(within_s=10) == -signal.SIGKILL


def results(tg: FakeTelegram) -> list[ApiCall]:
    """Midjourney results: photos with buttons (progress previews have none)."""
    return [c for c in tg.sent("sendPhoto") if "reply_markup" in c.params]


def run_dir(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


@pytest.mark.timeout(180)  # two cold starts of the child process
async def test_kill_during_a_burst_of_submits_loses_no_task(
    tmp_path: Path, tg_run: FakeTelegram, run_sim: SimRelay
) -> None:
    tg, sim = tg_run, run_sim
    config = write_config(tmp_path, relay_url=sim.base_url, tg=tg, dc=None, level="INFO")
    people = [(tg.user(2000 + n, f"User{n}"), n) for n in range(BURST)]
    # Half the submits: the relay created the task, its answer has not come back yet.
    relay_answers = asyncio.Event()
    held = sim.add_fault(Fault("POST", "/mj/submit/imagine", hold=relay_answers,
                               times=BURST // 2))
    # The other half: answered, but their status messages are still on their way.
    statuses = asyncio.Event()
    tg.hold("sendMessage", statuses, times=BURST // 2,
            match=lambda c: "Midjourney" in str(c.params.get("text")))

    async with running_relaybot(config, ENV, run_dir(tmp_path, "first")) as bot:
        for user, n in people:
            tg.send_text(tg.private_chat(user), user, f"/imagine burst prompt {n:02d}")
        await bot.meanwhile(
            until(lambda: held.held == BURST // 2 and tg.held == BURST // 2, STARTUP_S,
                  "every submit at the relay, half of them answered"),
            "the burst",
        )
        assert len(sim.mj_task_ids()) == BURST, "the relay accepted (and charged) all"
        await kill_9(bot)
    relay_answers.set()
    statuses.set()
    assert results(tg) == []

    restarted = time.monotonic()
    async with running_relaybot(config, ENV, run_dir(tmp_path, "second")) as bot:
        await bot.meanwhile(until(lambda: len(results(tg)) >= BURST, RESUME_S,
                                  "every accepted task delivered"), "delivering")
        took = time.monotonic() - restarted
        await asyncio.sleep(1.0)  # anything sent twice would show up now
        stderr = bot.stderr
    prompts = sorted(re.search(r"burst prompt \d\d", str(c.params["caption"])).group(0)  # type: ignore[union-attr]
                     for c in results(tg))
    assert prompts == [f"burst prompt {n:02d}" for n in range(BURST)], "each exactly once"
    assert took < RESUME_S
    assert len(sim.requests_to("/mj/submit/imagine")) == BURST, "nothing submitted twice"
    never = [c for c in tg.sent("sendMessage") if "never confirmed" in str(c.params)]
    assert never == [], "every lost answer was found by its tag"
    assert "Traceback" not in stderr, stderr


@pytest.mark.timeout(180)  # two cold starts of the child process
async def test_kill_during_an_upload_resumes_at_the_unsent_piece(
    tmp_path: Path, tg_run: FakeTelegram, run_sim: SimRelay
) -> None:
    tg, sim = tg_run, run_sim
    config = write_config(tmp_path, relay_url=sim.base_url, tg=tg, dc=None, level="INFO")
    alice = tg.user(1001, "Alice")
    dm = tg.private_chat(alice)
    upload = asyncio.Event()
    # The second clip's upload: the first is out, the second is in flight.
    tg.hold("sendAudio", upload, match=lambda c: bool(tg.sent("sendAudio")))

    async with running_relaybot(config, ENV, run_dir(tmp_path, "first")) as bot:
        tg.send_text(dm, alice, "/music a song about the sea")
        await bot.meanwhile(until(lambda: tg.held == 1, STARTUP_S, "the second upload"),
                            "uploading")
        await kill_9(bot)
    upload.set()  # Telegram got the upload anyway: the piece in flight may repeat
    await tg.wait_until(lambda: len(tg.sent("sendAudio")) == 2, what="the held upload")
    [first_clip, in_flight] = [c.params.get("duration") for c in tg.sent("sendAudio")]
    assert first_clip != in_flight

    restarted = time.monotonic()
    async with running_relaybot(config, ENV, run_dir(tmp_path, "second")) as bot:
        await bot.meanwhile(until(lambda: len(tg.sent("sendAudio")) >= 3, RESUME_S,
                                  "the unsent piece"), "resuming")
        took = time.monotonic() - restarted
        await asyncio.sleep(1.0)  # anything sent twice would show up now
    durations = [c.params.get("duration") for c in tg.sent("sendAudio")]
    assert durations.count(first_clip) == 1, "the piece already sent is not sent again"
    assert durations.count(in_flight) == 2, "only the piece in flight repeats"
    assert took < RESUME_S
    assert len(sim.requests_to("/suno/v1/v3.0/music", method="POST")) == 1
