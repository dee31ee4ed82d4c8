"""Contract: what one event reads about its user and place, and what a chat turn writes after
its answer, each in one trip."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.config_storage import StorageConfig
from bot.store.base import EventQuery, NewMessage, NewUsage, SettingScope, Store

OpenStore = Callable[..., Awaitable[Store]]

USER, CHAT = SettingScope.USER, SettingScope.CHAT
QUERY = EventQuery(
    platform="telegram", user_id="7", question_chat_id="-100/5", chat_id="-100",
    chat_key="language", identities=("telegram:7", "telegram:-100"), allowance_of="telegram:7",
)


async def test_nothing_stored_reads_as_nothing(store: Store) -> None:
    reads = await store.read_for_event(QUERY)

    assert reads.query == QUERY
    assert dict(reads.user_settings) == {}
    assert reads.chat_setting is None and reads.pending is None and reads.allowance is None
    assert dict(reads.access_rules) == {}


async def test_each_part_reads_as_its_own_method_does(store: Store) -> None:
    await store.set_setting(USER, "telegram", "7", "language", "zh")
    await store.set_setting(USER, "telegram", "7", "size", {"w": 2, "h": 3})
    await store.set_setting(USER, "telegram", "8", "language", "en")  # someone else
    await store.set_setting(CHAT, "telegram", "-100", "language", "en")
    await store.put_pending("telegram", "-100/5", "7", kind="mj_modal",
                            payload={"token": "t1"}, ttl_s=60)
    await store.put_pending("telegram", "-100", "7", kind="other_topic", ttl_s=60)
    await store.set_access_rule("telegram:7", "allow", at=1.0)
    await store.set_access_rule("telegram:-100", "deny", at=1.0)
    await store.set_access_rule("telegram:9", "deny", at=1.0)  # not asked about
    await store.set_allowance("telegram:7", 12.5, at=1.0)

    reads = await store.read_for_event(QUERY)

    assert reads.user_settings == await store.all_settings(USER, "telegram", "7")
    assert reads.user_settings == {"language": "zh", "size": {"w": 2, "h": 3}}
    assert reads.chat_setting == "en"
    assert reads.pending == await store.get_pending("telegram", "-100/5", "7",
                                                    include_expired=True)
    assert reads.pending is not None and reads.pending.kind == "mj_modal"
    assert reads.access_rules == await store.access_rules(QUERY.identities)
    assert reads.access_rules == {"telegram:7": "allow", "telegram:-100": "deny"}
    assert reads.allowance == 12.5


async def test_an_expired_question_is_read_and_marked(
    store: Store, advance: Callable[[float], None]
) -> None:
    await store.put_pending("telegram", "-100/5", "7", kind="mj_modal", ttl_s=30)
    advance(31)

    reads = await store.read_for_event(QUERY)

    assert reads.pending is not None and reads.pending.expired
    assert reads.pending == await store.get_pending("telegram", "-100/5", "7",
                                                    include_expired=True)


async def test_only_what_the_query_names_is_read(store: Store) -> None:
    await store.set_setting(CHAT, "telegram", "-100", "language", "en")
    await store.set_access_rule("telegram:7", "deny", at=1.0)
    await store.set_allowance("telegram:7", 3.0, at=1.0)
    private = EventQuery(platform="telegram", user_id="7", question_chat_id="7")

    reads = await store.read_for_event(private)

    assert reads.chat_setting is None and reads.allowance is None
    assert dict(reads.access_rules) == {}


async def test_another_process_s_change_is_read_by_the_next_event(open_store: OpenStore) -> None:
    mine, theirs = await open_store(), await open_store()
    assert dict((await mine.read_for_event(QUERY)).access_rules) == {}

    await theirs.set_access_rule("telegram:7", "deny", at=1.0)
    await theirs.set_setting(USER, "telegram", "7", "language", "en")
    await theirs.put_pending("telegram", "-100/5", "7", kind="mj_modal", ttl_s=60)

    reads = await mine.read_for_event(QUERY)
    assert reads.access_rules == {"telegram:7": "deny"}
    assert reads.user_settings == {"language": "en"}
    assert reads.pending is not None and reads.pending.kind == "mj_modal"


USAGE = NewUsage(platform="telegram", user_id="7", chat_id="-100", kind="chat", model="gpt-4o")


async def _history(store: Store, conversation_id: int) -> list[tuple[str, str, int]]:
    return [(m.role, m.content, m.chars) for m in await store.history(conversation_id, 10_000)]


async def test_a_chat_turn_is_written_in_order_with_its_usage(store: Store) -> None:
    conversation = await store.active_conversation("telegram", "-100")
    await store.append_message(conversation.id, "user", "earlier")

    written = await store.record_chat_turn(conversation.id, [
        NewMessage("user", "a question", extra={"image": "cat.png"}, chars=1010),
        NewMessage("assistant", "an answer"),
    ], USAGE)

    assert (written.messages, written.usage, written.failures) == (2, True, ())
    assert await _history(store, conversation.id) == [
        ("user", "earlier", 7), ("user", "a question", 1010), ("assistant", "an answer", 9)]
    stored = await store.history(conversation.id, 10_000)
    assert stored[1].extra == {"image": "cat.png"}
    usage = (await store.usage_summary("telegram", "7", since=0))["chat"]
    assert (usage.count, usage.units) == (1, 1)


async def test_a_turn_without_usage_or_messages_writes_only_what_it_has(store: Store) -> None:
    conversation = await store.active_conversation("telegram", "-100")

    only_messages = await store.record_chat_turn(conversation.id, [NewMessage("user", "q")], None)
    only_usage = await store.record_chat_turn(conversation.id, [], USAGE)

    assert (only_messages.messages, only_messages.usage) == (1, False)
    assert (only_usage.messages, only_usage.usage) == (0, True)
    assert await _history(store, conversation.id) == [("user", "q", 1)]
    assert (await store.usage_summary("telegram", "7", since=0))["chat"].count == 1


async def test_a_refused_write_is_reported_and_its_retry_doubles_nothing(
    store: Store, storage_config: StorageConfig
) -> None:
    # A message the database refuses (a negative size breaks a CHECK constraint). SQLite
    # commits each write on its own: the refused one stops the messages after it, not those
    # before it nor the usage entry. PostgreSQL writes the turn in one statement: nothing.
    # Either way the result says what is missing, and writing that again (as the chat turn
    # does) leaves every message once and the usage counted once.
    conversation = await store.active_conversation("telegram", "-100")
    turn = [NewMessage("user", "kept"), NewMessage("assistant", "refused", chars=-1),
            NewMessage("user", "after")]

    written = await store.record_chat_turn(conversation.id, turn, USAGE)

    postgres = storage_config.url is not None
    assert (written.messages, written.usage, len(written.failures)) == (
        (0, False, 1) if postgres else (1, True, 1))
    history = await _history(store, conversation.id)
    assert history == ([] if postgres else [("user", "kept", 4)])
    counted = (await store.usage_summary("telegram", "7", since=0)).get("chat")
    assert (counted.count if counted is not None else 0) == (0 if postgres else 1)

    repaired = [turn[0], replace(turn[1], chars=None), turn[2]]
    missing = repaired[written.messages:]
    again = await store.record_chat_turn(conversation.id, missing,
                                         None if written.usage else USAGE)
    assert (again.messages, again.failures) == (len(missing), ())
    assert await _history(store, conversation.id) == [
        ("user", "kept", 4), ("assistant", "refused", 7), ("user", "after", 5)]
    assert (await store.usage_summary("telegram", "7", since=0))["chat"].count == 1


async def test_a_turn_for_a_conversation_that_is_gone_still_records_its_usage(
    store: Store,
) -> None:
    written = await store.record_chat_turn(987_654, [NewMessage("user", "q")], USAGE)

    assert (written.messages, written.usage, len(written.failures)) == (0, True, 1)
    assert (await store.usage_summary("telegram", "7", since=0))["chat"].count == 1


async def test_a_chat_turn_s_conversation_is_read_along_as_its_own_method_does(
    store: Store,
) -> None:
    query = replace(QUERY, conversation_scope=("telegram", "-100", "5"), history_chars=16)
    # None yet, and none created by reading: the chat turn creates it after the gate.
    assert (await store.read_for_event(query)).conversation is None
    assert (await store.read_for_event(query)).conversation is None
    await store.active_conversation("telegram", "-100", "")  # another topic's is not this one
    assert (await store.read_for_event(query)).conversation is None
    conversation, _ = await store.active_conversation_and_history("telegram", "-100", "5", 16)
    assert (await store.read_for_event(query)).conversation == (conversation, [])
    for text in ("first q", "first a", "second q"):
        await store.append_message(conversation.id, "user", text, extra={"n": len(text)})

    reads = await store.read_for_event(query)

    expected = await store.active_conversation_and_history("telegram", "-100", "5", 16)
    assert reads.conversation == expected
    assert [m.content for m in expected[1]] == ["first a", "second q"]  # within 16 chars
    assert expected[1] == await store.history(conversation.id, 16)
    assert reads.user_settings == {} and reads.pending is None  # the rest as before
    # A budget the newest message alone exceeds: the conversation, with no history.
    tight = await store.read_for_event(replace(query, history_chars=7))
    assert tight.conversation == (conversation, [])


async def test_a_reset_place_reads_its_new_conversation_not_the_ended_one(store: Store) -> None:
    query = replace(QUERY, conversation_scope=("telegram", "-100", "5"), history_chars=100)
    old, _ = await store.active_conversation_and_history("telegram", "-100", "5", 100)
    await store.append_message(old.id, "user", "before the reset")
    new = await store.reset_conversation("telegram", "-100", "5")

    reads = await store.read_for_event(query)

    assert reads.conversation == (new, [])
    assert reads.conversation == await store.active_conversation_and_history(
        "telegram", "-100", "5", 100)
