"""How many round trips to the PostgreSQL server a chat turn's store calls make.

Each round trip is a wait on the network (0.3–1 ms on a LAN, more across hosts) that every
chat message pays on top of the relay's answer, so the count is a behaviour: the store is
opened through a ``WireCounter`` (tests/postgres.py), which counts what the client sends and
then waits for, whatever the store's code does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Secret
from bot.config_storage import StorageConfig
from bot.store import open_store
from bot.store.base import EventQuery, NewMessage, NewUsage, Store
from tests.fakes.clock import JumpingClock
from tests.postgres import WireCounter
from tests.postgres import counted_postgres_url as counted_postgres_url


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
    # A first turn somewhere else: asyncpg prepares each statement once per connection
    # (a round trip of its own), which the turns below then do not pay.
    await chat_turn(store, "-1", "warm up")
    yield store, counter
    await store.close()


async def test_a_chat_turn_makes_two_round_trips_and_a_place_s_first_three(
    counted: tuple[Store, WireCounter],
) -> None:
    store, counter = counted

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
