"""What the store's busiest calls cost on PostgreSQL: a chat turn's and a paid command's
round trips, and the history's index.

Each round trip is a wait on the network (0.3–1 ms on a LAN, more across hosts) that every
chat message or paid command pays on top of the relay's answer, so the count is a behaviour:
the store is opened through a ``WireCounter`` (tests/postgres.py), which counts what the
client sends and then waits for, whatever the store's code does. The history must be read
through the conversation's index whatever the other conversations hold, or a quiet chat's
turn would read a busy chat's messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.config import Secret
from bot.config_storage import StorageConfig
from bot.store import open_store
from bot.store.base import EventQuery, NewMessage, NewUsage, Store
from bot.store.community import CreditTotals
from bot.store.postgres.conversations import history_ctes
from tests.fakes.clock import JumpingClock
from tests.postgres import WireCounter
from tests.postgres import counted_postgres_url as counted_postgres_url

ALICE = "telegram:1"


def turn_query(place: str) -> EventQuery:
    return EventQuery(platform="telegram", user_id="7", question_chat_id=place,
                      identities=("telegram:7",), allowance_of="telegram:7",
                      conversation_scope=("telegram", place, ""), history_chars=8000)


async def chat_turn(store: Store, place: str, question: str) -> None:
    """The store calls of a chat message, in bot.commands.chat's order: the event's reads
    (with the place's conversation: the adapter saw a chat turn coming), the conversation
    when the event found none (a place's first turn creates it), then the turn's writes."""
    reads = await store.read_for_event(turn_query(place))
    conversation, _ = reads.conversation or await store.active_conversation_and_history(
        "telegram", place, "", 8000)
    written = await store.record_chat_turn(
        conversation.id, [NewMessage("user", question), NewMessage("assistant", "an answer")],
        NewUsage("telegram", "7", place, kind="chat", model="gpt-4o"))
    assert (written.messages, written.usage) == (2, True)


@pytest.fixture
async def counted(counted_postgres_url: tuple[str, WireCounter], clock: JumpingClock
                  ) -> AsyncIterator[tuple[Store, WireCounter]]:
    url, counter = counted_postgres_url
    store = await open_store(StorageConfig(url=Secret(url), pool_size=4), clock=clock)
    yield store, counter
    await store.close()


async def test_a_chat_turn_makes_two_round_trips_and_a_place_s_first_three(
    counted: tuple[Store, WireCounter],
) -> None:
    store, counter = counted
    # A first turn somewhere else: asyncpg prepares each statement once per connection
    # (a round trip of its own), which the turns below then do not pay.
    await chat_turn(store, "-1", "warm up")

    counter.round_trips = 0
    await chat_turn(store, "-100", "first question")
    first = counter.round_trips
    counter.round_trips = 0
    await chat_turn(store, "-100", "second question")
    second = counter.round_trips

    # One statement each: the reads with the conversation, its creation on a place's first
    # turn, the writes; the pool sends nothing when it takes a connection back.
    assert (first, second) == (3, 2)
    history = await store.history((await store.active_conversation("telegram", "-100")).id,
                                  8000)
    assert [m.content for m in history] == [
        "first question", "an answer", "second question", "an answer"]


async def test_a_reservation_makes_five_round_trips_a_refusal_four_and_totals_one(
    counted: tuple[Store, WireCounter],
) -> None:
    store, counter = counted
    owner = ("telegram", "7")

    async def reserve(hold: str, identity: str, *, amount: float,
                      jobs_of: tuple[str, str] | None = None) -> tuple[bool, CreditTotals]:
        return await store.reserve_credits(
            hold=hold, identity=identity, capability="image", amount=amount, day=5, at=1.0,
            admit=lambda totals: sum(totals.spent_by_day.values()) + amount <= 10,
            jobs_of=jobs_of)

    # Another user's calls first: asyncpg prepares each statement once per connection.
    for hold, jobs_of in (("w1", None), ("w2", owner)):
        assert (await reserve(hold, "telegram:9", amount=1, jobs_of=jobs_of))[0]
    await store.credit_totals("telegram:9", 5)

    trips = []
    for hold, amount, jobs_of in (("a", 6, None), ("b", 6, None), ("c", 4, owner)):
        counter.round_trips = 0
        ok, _ = await reserve(hold, ALICE, amount=amount, jobs_of=jobs_of)
        trips.append((hold, ok, counter.round_trips))
    counter.round_trips = 0
    totals = await store.credit_totals(ALICE, 5)
    trips.append(("totals", True, counter.round_trips))

    # BEGIN, the identity's lock, the totals (with the owner's active jobs when asked), the
    # reserve when admitted, COMMIT; the totals alone are one statement.
    assert trips == [("a", True, 5), ("b", False, 4), ("c", True, 5), ("totals", True, 1)]
    assert (totals.spent_by_day, totals.reserved, totals.uses) == (
        {5: 10}, {"image": 10}, {"image": 2})


async def test_a_quiet_chat_s_history_is_read_through_its_own_index(
    postgres_url: str, clock: JumpingClock
) -> None:
    # Few conversations, one busy: the planner's guess that the primary key finds a quiet
    # conversation's message within a few rows is wrong by thousands of rows per step.
    store = await open_store(StorageConfig(url=Secret(postgres_url), pool_size=2), clock=clock)
    quiet = await store.active_conversation("telegram", "quiet")
    busy = await store.active_conversation("telegram", "busy")
    for i in range(30):
        await store.record_chat_turn(quiet.id, [NewMessage("user", f"q{i}")], None)
        await store.record_chat_turn(busy.id, [NewMessage("user", "b")] * 100, None)
    await store.close()
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("ANALYZE messages")
        plan = "\n".join(row[0] for row in await conn.fetch(
            "EXPLAIN (ANALYZE, COSTS OFF) WITH RECURSIVE"
            " conv AS (SELECT * FROM conversations WHERE id = $1),"
            f" {history_ctes('$2')} SELECT count(*) FROM kept", quiet.id, 10_000))
        kept = await conn.fetchval(
            f"WITH RECURSIVE conv AS (SELECT * FROM conversations WHERE id = $1),"
            f" {history_ctes('$2')} SELECT count(*) FROM kept", quiet.id, 10_000)
    finally:
        await conn.close()

    assert kept == 30
    assert "messages_by_conversation" in plan, plan
    assert "messages_pkey" not in plan and "Seq Scan on messages" not in plan, plan
