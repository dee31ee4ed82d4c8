"""Credits across processes: a reservation whose job never reached the bot's records is
refunded at the next start after a ``kill -9``, a job that was tracked is charged exactly
once after it, and a second process starting on the same database leaves alone the
reservation a live first process is still using."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.sim import SimRelay
from bot.sim.faults import Fault
from bot.store.community import LedgerEntry
from bot.store.sqlite import open_sqlite_store
from tests.e2e.process import ENV, STARTUP_S, Relaybot, running_relaybot, write_config
from tests.fakes.telegram_api import FakeTelegram, TgChat, TgUser

CREDITS = """
[credits]
enabled = true
daily = 20

[credits.cost]
mj_imagine = 8
dalle = 10
"""


async def ledger(db: Path) -> list[LedgerEntry]:
    async with await open_sqlite_store(db) as store:
        return await store.ledger_entries()


async def until(operator: Relaybot, check: Callable[[], Awaitable[bool]], what: str) -> None:
    async def poll() -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + STARTUP_S
        while not await check():
            if loop.time() > give_up:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.05)

    await operator.meanwhile(poll(), what)


async def said(operator: Relaybot, tg: FakeTelegram, dm: TgChat, containing: str) -> None:
    await operator.meanwhile(
        tg.wait_until(lambda: any(containing in m.text for m in tg.messages_in(dm)),
                      wait_s=STARTUP_S, what=repr(containing)),
        f"the answer {containing!r}",
    )


async def test_kill_9_refunds_unrecorded_holds_and_charges_tracked_jobs_once(
    tmp_path: Path, tg_run: FakeTelegram, run_sim: SimRelay
) -> None:
    tg, sim = tg_run, run_sim
    config = write_config(tmp_path, relay_url=sim.base_url, tg=tg, dc=None, extra=CREDITS)
    db = tmp_path / "relaybot.sqlite3"
    alice: TgUser = tg.user(1001, "Alice")
    dm = tg.private_chat(alice)

    # 1. Killed while the relay is still answering the submit: reserved, never tracked.
    sim.add_fault(Fault("POST", "/mj/submit/imagine", delay_s=60, passthrough=True))
    async with running_relaybot(config, ENV, tmp_path) as bot:
        tg.send_text(dm, alice, "/imagine a fox in the snow")
        await bot.meanwhile(sim.wait_for_requests("/mj/submit/imagine", 1, timeout=STARTUP_S),
                            "the submit")
        await until(bot, lambda: _has(db, "reserve", 1), "the reservation")
        bot.process.kill()  # SIGKILL: no cleanup of any kind
        await bot.exited(10)
    [reserve] = await ledger(db)
    assert reserve.kind == "reserve" and reserve.amount == 8

    # 2. Restarted: refunded before anything else; then a job that is tracked, killed again.
    sim.clear_faults()
    sim.add_fault(Fault("GET", "/mj/task/*/fetch", delay_s=60, times=None))
    sim.add_fault(Fault("POST", "/mj/task/list-by-condition", delay_s=60, times=None))
    async with running_relaybot(config, ENV, tmp_path) as bot:
        await until(bot, lambda: _has(db, "refund", 1), "the refund at start")
        tg.send_text(dm, alice, "/imagine a castle")
        await said(bot, tg, dm, "a castle")
        await until(bot, lambda: _tracked(db), "the job row")
        bot.process.kill()
        await bot.exited(10)

    # 3. Restarted again: the job finishes at the relay and is charged once.
    sim.clear_faults()
    async with running_relaybot(config, ENV, tmp_path) as bot:
        await until(bot, lambda: _has(db, "charge", 1), "the charge")
        tg.send_text(dm, alice, "/usage")
        await said(bot, tg, dm, "Left: 12")
    entries = await ledger(db)
    kinds = [(e.kind, e.amount) for e in entries]
    assert kinds == [("reserve", 8), ("refund", 8), ("reserve", 8), ("charge", 8)]
    assert entries[0].hold == entries[1].hold and entries[2].hold == entries[3].hold
    assert len(sim.requests_to("/mj/submit/imagine")) == 2


async def _has(db: Path, kind: str, count: int) -> bool:
    return sum(1 for e in await ledger(db) if e.kind == kind) >= count


async def _tracked(db: Path) -> bool:
    return any(e.kind == "reserve" and e.job_id is not None for e in await ledger(db))


async def test_a_process_starting_beside_a_live_one_leaves_its_reservation_alone(
    tmp_path: Path, tg_run: FakeTelegram, run_sim: SimRelay
) -> None:
    tg, sim = tg_run, run_sim
    config = write_config(tmp_path, relay_url=sim.base_url, tg=tg, dc=None, extra=CREDITS)
    # /dalle holds its credits while the relay draws (no job row): the relay answers only
    # once the second process has started, so the first must wait that long.
    config.write_text(config.read_text().replace("timeout_s = 10", "timeout_s = 120"))
    db = tmp_path / "relaybot.sqlite3"
    alice: TgUser = tg.user(1001, "Alice")
    dm = tg.private_chat(alice)
    answer = asyncio.Event()
    sim.add_fault(Fault("POST", "/v1/images/generations", hold=answer))

    async with running_relaybot(config, ENV, _own_dir(tmp_path, "a")) as first:
        tg.send_text(dm, alice, "/dalle a fox on the ice")
        await until(first, lambda: _has(db, "reserve", 1), "the reservation")
        async with running_relaybot(config, ENV, _own_dir(tmp_path, "b"),
                                    ["--only", "jobs"]) as second:
            await until(second, lambda: _started(second), "the second process")
            assert [e.kind for e in await ledger(db)] == ["reserve"]
            answer.set()  # the relay answers the first process now
            await said(first, tg, dm, "a fox on the ice")
            await until(first, lambda: _has(db, "charge", 1), "the charge")
    entries = await ledger(db)
    assert [(e.kind, e.amount, e.job_id) for e in entries] == [
        ("reserve", 10, None), ("charge", 10, None)]


def _own_dir(tmp_path: Path, name: str) -> Path:
    """A working directory (and stderr file) of one process; the config stays shared."""
    path = tmp_path / name
    path.mkdir()
    return path


async def _started(bot: Relaybot) -> bool:
    return "this process:" in bot.stderr
