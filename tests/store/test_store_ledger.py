"""The credit ledger: one reserve and at most one settlement per hold, whoever settles and
however often; balances add up; admin rules and allowances are stored.

The property test drives random submit / success / failure / cancel / repeated settle /
crash-and-restart sequences through the real core (``bot.core.credits``) on a real SQLite
file, reopening the file on every crash as a restarted bot would."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import CreditsConfig
from bot.core.credits import Credits, Hold
from bot.store.base import DuplicateJobError, JobState, Store
from bot.store.community import CreditTotals, LedgerEntry
from bot.store.sqlite import open_sqlite_store
from tests.fakes.clock import JumpingClock
from tests.store.conftest import OpenStore

ALICE = "telegram:1"
START = 1_700_000_000.0


async def test_a_hold_is_settled_once_whichever_way_comes_second(store: Store) -> None:
    ok, _ = await store.reserve_credits(hold="h1", identity=ALICE, capability="image",
                                        amount=10, day=1, at=START, admit=lambda t: True)
    assert ok
    charge = await store.settle_hold("h1", "charge", at=START + 1)
    assert charge is not None
    assert (charge.kind, charge.capability, charge.amount) == ("charge", "image", 10)
    assert not await store.settle_hold("h1", "refund", at=START + 2)
    assert not await store.settle_hold("h1", "charge", at=START + 3)
    assert not await store.settle_hold("never-reserved", "refund", at=START)
    kinds = [(e.kind, e.amount) for e in await store.ledger_entries(ALICE)]
    assert kinds == [("reserve", 10), ("charge", 10)]


async def test_a_job_created_with_its_hold_is_recorded_on_the_reservation(store: Store) -> None:
    for hold in ("h1", "h2"):
        ok, _ = await store.reserve_credits(hold=hold, identity=ALICE, capability="midjourney",
                                            amount=5, day=1, at=START, admit=lambda t: True)
        assert ok
    job = await store.create_job(kind="mj", platform="telegram", user_id="1", chat_id="1",
                                 relay_task_id="t1", request={"credit_hold": "h1"}, hold="h1")
    # A job that is not created (its relay task is tracked already) takes no hold.
    with pytest.raises(DuplicateJobError):
        await store.create_job(kind="mj", platform="telegram", user_id="1", chat_id="1",
                               relay_task_id="t1", hold="h2")
    jobs = {h.hold: h.job_id for h in await store.open_holds()}
    assert jobs == {"h1": job.id, "h2": None}
    assert [e.job_id for e in await store.ledger_entries(ALICE)] == [job.id, None]


async def test_a_metered_hold_is_charged_what_was_used_once(store: Store) -> None:
    await store.reserve_credits(hold="m", identity=ALICE, capability="chat", amount=1, day=1,
                                at=START, admit=lambda t: True)
    assert await store.settle_hold("m", "charge", at=START + 1, amount=3.5)
    assert not await store.settle_hold("m", "charge", at=START + 2, amount=7)
    kinds = [(e.kind, e.amount) for e in await store.ledger_entries(ALICE)]
    assert kinds == [("reserve", 1), ("charge", 3.5)]
    totals = await store.credit_totals(ALICE, 1)
    assert totals.charged == {"chat": 3.5} and totals.reserved == {}


async def test_a_second_store_on_the_same_database_cannot_settle_again(
    open_store: OpenStore, store: Store
) -> None:
    other = await open_store()
    await store.reserve_credits(hold="h", identity=ALICE, capability="music", amount=15,
                                day=1, at=START, admit=lambda t: True)
    results = await asyncio.gather(store.settle_hold("h", "refund", at=START),
                                   other.settle_hold("h", "charge", at=START))
    assert sorted(entry is not None for entry in results) == [False, True]
    assert len(await store.ledger_entries()) == 2


async def test_a_refused_reservation_writes_nothing(store: Store) -> None:
    ok, totals = await store.reserve_credits(hold="h", identity=ALICE, capability="video",
                                             amount=30, day=1, at=START,
                                             admit=lambda t: False)
    assert not ok and totals.spent_by_day == {}
    assert await store.ledger_entries() == []


async def test_an_admit_that_fails_reserves_nothing_and_reports_its_error(store: Store) -> None:
    def broken(totals: CreditTotals) -> bool:
        raise ZeroDivisionError("a bug in the caller's rule")

    with pytest.raises(ZeroDivisionError, match="caller's rule"):
        await store.reserve_credits(hold="h", identity=ALICE, capability="video", amount=3,
                                    day=1, at=START, admit=broken)
    assert await store.ledger_entries() == []
    ok, _ = await store.reserve_credits(hold="h", identity=ALICE, capability="video", amount=3,
                                        day=1, at=START, admit=lambda t: True)
    assert ok, "the store goes on (nothing was left half-open)"


async def test_a_reservation_can_count_the_owners_running_jobs_with_its_totals(
    store: Store,
) -> None:
    """What a paid job's running-jobs limit is judged on, read in the reservation's own
    transaction: the owner's active jobs (being submitted or tracked), nobody else's."""
    owner = ("telegram", "1")
    for n, state in enumerate((JobState.SUBMITTING, JobState.SUBMITTED, JobState.RUNNING)):
        await store.create_job(kind="mj", platform="telegram", user_id="1", chat_id="1",
                               relay_task_id=f"t{n}", state=state, submit_tag=f"tag{n}")
    done = await store.create_job(kind="mj", platform="telegram", user_id="1", chat_id="1",
                                  relay_task_id="t9")
    await store.update_job(done.id, state=JobState.SUCCEEDED, result={"url": "u"})
    for platform, user in (("telegram", "2"), ("discord", "1")):
        await store.create_job(kind="mj", platform=platform, user_id=user, chat_id="1",
                               relay_task_id=f"{platform}{user}")
    seen: list[int] = []

    def admit(totals: CreditTotals) -> bool:
        seen.append(totals.active_jobs)
        return totals.active_jobs < 3

    ok, totals = await store.reserve_credits(hold="h1", identity=ALICE, capability="midjourney",
                                             amount=1, day=1, at=START, admit=admit,
                                             jobs_of=owner)
    assert not ok and seen == [3] and totals.active_jobs == 3
    assert await store.ledger_entries() == [], "refused on the count: nothing reserved"
    await store.update_job(done.id - 1, state=JobState.FAILED, error="x")
    ok, totals = await store.reserve_credits(hold="h1", identity=ALICE, capability="midjourney",
                                             amount=1, day=1, at=START, admit=admit,
                                             jobs_of=owner)
    assert ok and totals.active_jobs == 2
    _, unasked = await store.reserve_credits(hold="h2", identity=ALICE, capability="midjourney",
                                             amount=1, day=1, at=START, admit=admit)
    assert unasked.active_jobs == 0, "not counted unless asked"


async def test_totals_count_charges_open_holds_grants_and_uses(store: Store) -> None:
    for hold, amount in (("a", 8), ("b", 8), ("c", 4)):
        await store.reserve_credits(hold=hold, identity=ALICE, capability="midjourney",
                                    amount=amount, day=5, at=START, admit=lambda t: True)
    await store.settle_hold("a", "charge", at=START)
    await store.settle_hold("c", "refund", at=START)
    await store.charge_credits(hold="chat1", identity=ALICE, capability="chat", amount=2.5,
                               day=5, at=START + 5)
    await store.grant_credits(hold="g", identity=ALICE, amount=50, at=START, day=5)
    totals = await store.credit_totals(ALICE, 5)
    assert totals.spent_by_day == {5: 18.5}
    assert totals.charged == {"midjourney": 8, "chat": 2.5}
    assert totals.reserved == {"midjourney": 8}
    assert totals.uses == {"midjourney": 2, "chat": 1}
    assert totals.granted == 50 and totals.last_use_at == START + 5
    assert totals.bot_spent == 18.5
    # Another user's spending counts for the bot, not for Alice.
    await store.charge_credits(hold="bob1", identity="telegram:2", capability="chat",
                               amount=1.5, day=5, at=START)
    assert (await store.credit_totals(ALICE, 5)).bot_spent == 20
    # A bot without a bot-wide cap skips that sum; everything of Alice's is the same.
    without = await store.credit_totals(ALICE, 5, bot_total=False)
    assert without.bot_spent == 0 and without.spent_by_day == totals.spent_by_day
    assert (without.charged, without.reserved, without.uses, without.open_holds) == (
        totals.charged, totals.reserved, totals.uses, totals.open_holds)


async def test_totals_over_days_settlements_grants_and_another_user_field_for_field(
    store: Store,
) -> None:
    """Everything a balance is computed from, for an asked day: spending per day up to it
    (charges and open holds), that day's charges, open holds and uses (refunds are no use),
    grants and the last use whenever, open holds of any day; another user's entries count
    only for the bot's total of the day."""
    yesterday = START - 86_400
    bob = "telegram:2"

    async def reserve(hold: str, identity: str, capability: str, amount: float, day: int,
                      at: float) -> None:
        ok, _ = await store.reserve_credits(hold=hold, identity=identity, capability=capability,
                                            amount=amount, day=day, at=at, admit=lambda t: True)
        assert ok

    for hold, amount in (("y1", 3), ("y2", 2), ("y3", 5)):
        await reserve(hold, ALICE, "image", amount, 4, yesterday)
    await store.settle_hold("y2", "charge", at=yesterday)
    await store.settle_hold("y3", "refund", at=yesterday)
    await store.grant_credits(hold="g4", identity=ALICE, amount=10, at=yesterday, day=4)
    for hold, amount in (("a", 8), ("b", 8), ("c", 4)):
        await reserve(hold, ALICE, "midjourney", amount, 5, START)
    await store.charge_credits(hold="chat1", identity=ALICE, capability="chat", amount=2.5,
                               day=5, at=START + 5)
    await store.settle_hold("a", "charge", at=START + 7, amount=6)  # metered: less than held
    await store.settle_hold("c", "refund", at=START + 9)  # later, but a refund is no use
    await store.grant_credits(hold="g5", identity=ALICE, amount=50, at=START, day=5)
    await reserve("bob1", bob, "midjourney", 7, 5, START + 20)
    await store.charge_credits(hold="bob2", identity=bob, capability="chat", amount=1.5, day=5,
                               at=START + 30)
    await store.charge_credits(hold="bob3", identity=bob, capability="image", amount=1, day=4,
                               at=yesterday)
    await store.grant_credits(hold="bob4", identity=bob, amount=100, at=START, day=5)

    assert await store.credit_totals(ALICE, 5) == CreditTotals(
        day=5, spent_by_day={4: 5, 5: 16.5}, granted=60,
        charged={"midjourney": 6, "chat": 2.5}, reserved={"midjourney": 8},
        uses={"midjourney": 2, "chat": 1}, last_use_at=START + 7, bot_spent=25,
        open_holds={"image": 1, "midjourney": 1})
    assert await store.credit_totals(ALICE, 4) == CreditTotals(
        day=4, spent_by_day={4: 5}, granted=60, charged={"image": 2}, reserved={"image": 3},
        uses={"image": 2}, last_use_at=START + 7, bot_spent=6,
        open_holds={"image": 1, "midjourney": 1})
    assert await store.credit_totals("telegram:3", 5) == CreditTotals(day=5, bot_spent=25)
    assert await store.credit_totals("telegram:3", 5, bot_total=False) == CreditTotals(day=5)
    before = await store.credit_totals(ALICE, 5)
    ok, judged = await store.reserve_credits(
        hold="d", identity=ALICE, capability="chat", amount=1, day=5, at=START + 40,
        admit=lambda t: True, jobs_of=("telegram", "1"))
    assert ok and judged == before, "a reservation is judged on the same totals"


async def test_admin_rules_and_allowances_are_stored(store: Store) -> None:
    await store.set_access_rule("telegram:5", "deny", at=START)
    await store.set_access_rule("telegram:-100", "allow", at=START)
    await store.set_access_rule("telegram:5", "allow", at=START + 1)
    assert await store.access_rules(("telegram:5", "telegram:-100", "telegram:9")) == {
        "telegram:5": "allow", "telegram:-100": "allow"}
    assert await store.allowance(ALICE) is None
    await store.set_allowance(ALICE, 250, at=START)
    assert await store.allowance(ALICE) == 250


# -- the property test ----------------------------------------------------------------


@dataclass
class Model:
    """What the test expects: the first settlement of each hold wins."""

    reserved: dict[str, float] = field(default_factory=dict)
    settled: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, int] = field(default_factory=dict)  # holds whose job reached the relay


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.sampled_from([1.0, 4.0, 8.0, 15.0]), st.booleans()),
        st.tuples(st.sampled_from(["success", "failure", "cancel", "timeout"]),
                  st.integers(0, 20), st.booleans()),
        st.tuples(st.just("crash"), st.just(0), st.just(False)),
    ),
    max_size=25,
)
_OUTCOME = {"success": JobState.SUCCEEDED, "failure": JobState.FAILED,
            "cancel": JobState.CANCELLED, "timeout": JobState.TIMED_OUT}


def check(entries: list[LedgerEntry], model: Model) -> None:
    reserves = {e.hold: e.amount for e in entries if e.kind == "reserve"}
    settlements: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        if entry.kind in ("charge", "refund"):
            settlements.setdefault(entry.hold, []).append(entry)
    assert all(len(found) == 1 for found in settlements.values()), "settled twice"
    assert reserves == model.reserved
    assert {hold: found[0].kind for hold, found in settlements.items()} == model.settled
    for hold, (entry,) in settlements.items():
        assert entry.amount == reserves[hold]
    open_amount = sum(a for h, a in reserves.items() if h not in settlements)
    charged = sum(e.amount for e in entries if e.kind == "charge")
    refunded = sum(e.amount for e in entries if e.kind == "refund")
    assert abs(sum(reserves.values()) - (open_amount + charged + refunded)) < 1e-9


async def scenario(path: Path, ops: list[tuple[str, float, bool]]) -> None:
    clock = JumpingClock()
    clock.now = START
    config = CreditsConfig(enabled=True, daily=40)
    store = await open_sqlite_store(path, clock=clock)
    model = Model()
    try:
        for op, value, flag in ops:
            clock.now += 1
            credits = Credits(config, store, clock)
            if op == "submit":
                hold, balance = await credits.reserve(ALICE, "midjourney", value,
                                                      lambda b, cost=value: cost > b.left)
                expected_left = 40 - sum(
                    a for h, a in model.reserved.items() if model.settled.get(h) != "refund")
                assert balance.left == expected_left
                if hold is None:
                    assert value > expected_left
                    continue
                model.reserved[hold.hold] = value
                if flag:  # the relay accepted it: a job row records the hold
                    job = await store.create_job(kind="mj", platform="telegram", user_id="1",
                                                 chat_id="1", request={"credit_hold": hold.hold},
                                                 hold=hold.hold)
                    model.jobs[hold.hold] = job.id
            elif op == "crash":
                await store.close()
                store = await open_sqlite_store(path, clock=clock)
                await Credits(config, store, clock).recover(clock.now)
                for hold in model.reserved:
                    if hold not in model.jobs and hold not in model.settled:
                        model.settled[hold] = "refund"
            elif model.reserved:
                hold = list(model.reserved)[int(value) % len(model.reserved)]
                succeeded = op == "success"
                for _ in range(2 if flag else 1):  # a retried settlement changes nothing
                    if hold in model.jobs:
                        job_id = model.jobs[hold]
                        await store.update_job(job_id, state=_OUTCOME[op])
                        job = await store.get_job(job_id)
                        assert job is not None
                        await credits.job_finished(job)
                    else:
                        await credits.settle(Hold(hold, ALICE, "midjourney", 0),
                                             succeeded=succeeded)
                kind = "charge" if succeeded else "refund"
                if hold in model.jobs:
                    first = await store.get_job(model.jobs[hold])
                    assert first is not None and first.outcome is not None
                    kind = "charge" if first.outcome is JobState.SUCCEEDED else "refund"
                model.settled.setdefault(hold, kind)
            check(await store.ledger_entries(), model)
    finally:
        await store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_random_lifecycles_never_settle_twice_and_always_add_up(
    ops: list[tuple[str, float, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(scenario(Path(folder) / "ledger.sqlite3", ops))
