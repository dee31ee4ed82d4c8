"""Two ``relaybot run`` processes on one PostgreSQL database, and a ``kill -9``.

Process A receives Telegram and tracks jobs (``--only telegram,jobs``); process B only
tracks jobs (``--only jobs``), delivering through a send-only Bot API client. A starts
first and takes the poll lease; one process polls at a time, so B only delivers while A
lives. 200 users each ask for a Midjourney grid; the relay simulator's tasks end when the
test says so. The first 100 finish while both run: they compete for every delivery. Then
Telegram floods ``sendPhoto`` (429: nothing is sent) while the other 100 finish, so
claimed deliveries wait; A is killed with SIGKILL while it holds some. B takes polling over
once A's poll lease runs out (a 0.5 s interval with ``lease_s = 3``: 1.5 s) and A's
delivery claims once ``[jobs] lease_s`` does; every grid reaches its user exactly once.

A 429 means Telegram did not process the call, so A dies with nothing half-sent; a
kill in the middle of a successful upload is another matter (that one piece may be
sent again by whoever takes the job over).
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from bot.jobs.leases import POLL_LEASE
from bot.sim import SimRelay
from tests.e2e.process import Relaybot, running_relaybot, write_config
from tests.e2e.test_relaybot_run import ENV, RELAY_KEY, STARTUP_S, TELEGRAM_TOKEN
from tests.fakes.telegram_api import ApiCall, FakeTelegram

JOBS = 200
FIRST_HALF = 100
LEASE_S = 3
PROMPT = re.compile(r"scale prompt \d{3}")


async def until(predicate: Callable[[], Awaitable[bool]], within_s: float, what: str) -> None:
    """Wait (real time, polling) for what the fakes or the database show."""
    deadline = time.monotonic() + within_s
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def grids(tg: FakeTelegram) -> list[ApiCall]:
    """Delivered Midjourney results: photos with buttons."""
    return [c for c in tg.sent("sendPhoto") if "reply_markup" in c.params]


async def polls(db: asyncpg.Connection, operator: Relaybot) -> bool:
    """Whether ``bot`` holds the poll lease (worker ids are host:pid:random)."""
    if "this process:" not in operator.stderr:
        return False  # still starting (maybe creating the tables)
    holder = await db.fetchval("SELECT holder FROM leases WHERE name = $1", POLL_LEASE)
    return holder is not None and f":{operator.process.pid}:" in holder


def run_dir(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


async def test_two_processes_deliver_every_job_once_when_one_is_killed(
    tmp_path: Path, postgres_url: str
) -> None:
    async with FakeTelegram(TELEGRAM_TOKEN) as tg, SimRelay(
        api_key=RELAY_KEY, step_seconds=3600  # tasks wait for finish_mj_task
    ) as sim:
        config = write_config(
            tmp_path, relay_url=sim.base_url, tg=tg, dc=None, level="INFO",
            database_url=postgres_url, poll_interval_s=0.5, extra=f"[jobs]\nlease_s = {LEASE_S}\n",
        )
        db = await asyncpg.connect(postgres_url)
        try:
            async with running_relaybot(
                config, ENV, run_dir(tmp_path, "a"), ["--only", "telegram,jobs"]
            ) as a:
                # A starts first and polls; B, started next, only delivers until A dies.
                await a.meanwhile(until(lambda: polls(db, a), STARTUP_S, "A polling"), "starting")
                async with running_relaybot(
                    config, ENV, run_dir(tmp_path, "b"), ["--only", "jobs"]
                ) as b:
                    await _run(tg, sim, db, a, b)
        finally:
            await db.close()


async def _run(
    tg: FakeTelegram, sim: SimRelay, db: asyncpg.Connection, a: Relaybot, b: Relaybot
) -> None:
    async def while_both_run(step: Awaitable[None], what: str) -> None:
        await a.meanwhile(b.meanwhile(step, what), what)

    async def both_started() -> bool:
        return "this process:" in a.stderr and "this process:" in b.stderr

    await while_both_run(until(both_started, STARTUP_S, "both processes"), "starting")
    assert "this process: receives telegram; tracks jobs" in a.stderr
    assert "this process: only sends to telegram; tracks jobs" in b.stderr

    for n in range(JOBS):
        user = tg.user(5000 + n, f"User{n}")
        tg.send_text(tg.private_chat(user), user, f"/imagine scale prompt {n:03d}")

    async def all_submitted() -> bool:
        shown = await db.fetchval(
            "SELECT count(*) FROM jobs WHERE status_message_ref IS NOT NULL")
        return int(shown) == JOBS

    await a.meanwhile(until(all_submitted, 30, "every job submitted"), "the submits")
    tasks = sim.mj_task_ids()
    assert len(tasks) == JOBS

    # The first half ends while both processes run: they share the polls and deliveries.
    for task in tasks[:FIRST_HALF]:
        sim.finish_mj_task(task)

    async def first_half_delivered() -> bool:
        return len(grids(tg)) >= FIRST_HALF

    await while_both_run(until(first_half_delivered, 30, "the first half"),
                         "delivering the first half")

    # The second half ends under flood control: claimed deliveries wait, nothing is sent.
    tg.flood("sendPhoto", retry_after=1, times=None)
    for task in tasks[FIRST_HALF:]:
        sim.finish_mj_task(task)

    def held_by(operator: Relaybot, state: str = "delivering") -> Awaitable[list[asyncpg.Record]]:
        return db.fetch(  # worker ids are host:pid:random
            "SELECT id FROM jobs WHERE state = $1 AND delivery_worker LIKE $2",
            state, f"%:{operator.process.pid}:%",
        )

    async def a_holds_deliveries() -> bool:
        return bool(await held_by(a))

    await a.meanwhile(until(a_holds_deliveries, 20, "A claiming deliveries"), "claiming")
    a.process.send_signal(signal.SIGKILL)
    assert await a.exited(within_s=10) == -signal.SIGKILL
    orphaned = {row["id"] for row in await held_by(a)}
    assert orphaned, "A died holding deliveries"
    await b.meanwhile(until(lambda: polls(db, b), 10, "B polling"), "taking polling over")
    await asyncio.sleep(0.5)  # requests A had on the wire are answered (429) first
    tg.stop_failing("sendPhoto")

    async def all_delivered() -> bool:
        return len(grids(tg)) >= JOBS

    await b.meanwhile(until(all_delivered, 30, "every grid, A's leases included"),
                      "taking over")
    await asyncio.sleep(1.0)  # anything delivered twice would show up now

    per_prompt = Counter(PROMPT.search(str(c.params["caption"])).group(0)  # type: ignore[union-attr]
                         for c in grids(tg))
    assert sorted(per_prompt) == [f"scale prompt {n:03d}" for n in range(JOBS)]
    assert set(per_prompt.values()) == {1}, "each grid delivered exactly once"
    assert len(sim.requests_to("/mj/submit/imagine")) == JOBS
    left = await db.fetchval("SELECT count(*) FROM jobs WHERE state <> 'delivered'")
    assert left == 0
    taken_over = {row["id"] for row in await held_by(b, "delivered")}
    assert orphaned <= taken_over, "B delivered what A had claimed, once its lease ran out"
    assert "Traceback" not in b.stderr, b.stderr
    assert tg.protocol_errors == []
