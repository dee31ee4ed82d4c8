"""Contract: conversations, history budgets and settings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.store.base import EventQuery, JsonValue, Message, SettingScope, Store

OpenStore = Callable[..., Awaitable[Store]]


async def test_active_conversation_is_per_scope_and_stable(store: Store) -> None:
    first = await store.active_conversation("telegram", "100")
    again = await store.active_conversation("telegram", "100")
    thread = await store.active_conversation("telegram", "100", "7")
    other_platform = await store.active_conversation("discord", "100")

    assert first == again
    assert len({first.id, thread.id, other_platform.id}) == 3
    assert (first.platform, first.chat_id, first.thread_id) == ("telegram", "100", "")
    assert first.model is None and first.persona is None


async def test_concurrent_get_or_create_yields_one_conversation(open_store: OpenStore) -> None:
    a, b = await open_store(), await open_store()
    found = await asyncio.gather(
        *(s.active_conversation("discord", "9", "t") for s in (a, b, a, b, a, b))
    )
    assert len({c.id for c in found}) == 1


async def test_reset_starts_a_new_conversation_and_keeps_the_old(
    store: Store, advance: Callable[[float], None]
) -> None:
    old = await store.active_conversation("telegram", "5")
    await store.set_conversation_model(old.id, "gpt-4o")
    await store.set_conversation_persona(old.id, "You are a pirate.")
    await store.append_message(old.id, "user", "ahoy")
    advance(60)

    new = await store.reset_conversation("telegram", "5")

    assert new.id != old.id and new.active
    assert (new.model, new.persona) == ("gpt-4o", "You are a pirate.")
    assert await store.history(new.id, 10_000) == []
    assert await store.active_conversation("telegram", "5") == new
    ended = await store.get_conversation(old.id)
    assert ended is not None and not ended.active and ended.ended_at == new.created_at
    assert [m.content for m in await store.history(old.id, 10_000)] == ["ahoy"]

    fresh = await store.reset_conversation("telegram", "5", keep_settings=False)
    assert (fresh.model, fresh.persona) == (None, None)


async def test_concurrent_resets_leave_exactly_one_active_conversation(
    open_store: OpenStore,
) -> None:
    a, b = await open_store(), await open_store()
    started = await a.active_conversation("discord", "8")

    new = await asyncio.gather(*(s.reset_conversation("discord", "8") for s in (a, b, a, b)))

    assert len({c.id for c in new} | {started.id}) == 5
    active = await b.active_conversation("discord", "8")
    assert active.id in {c.id for c in new}
    ended = [await a.get_conversation(c.id) for c in [started, *new] if c.id != active.id]
    assert all(c is not None and not c.active for c in ended)


async def test_reset_without_a_conversation_just_creates_one(store: Store) -> None:
    created = await store.reset_conversation("discord", "1", "2")
    assert await store.active_conversation("discord", "1", "2") == created


async def test_model_and_persona_can_be_cleared(store: Store) -> None:
    conversation = await store.active_conversation("telegram", "5")
    await store.set_conversation_model(conversation.id, "gemini-pro")
    await store.set_conversation_model(conversation.id, None)
    await store.set_conversation_persona(conversation.id, "terse")
    current = await store.get_conversation(conversation.id)
    assert current is not None
    assert (current.model, current.persona) == (None, "terse")
    assert await store.get_conversation(conversation.id + 1000) is None


def contents(messages: list[Message]) -> list[str]:
    return [m.content for m in messages]


async def test_history_keeps_the_newest_messages_within_budget(store: Store) -> None:
    conversation = await store.active_conversation("telegram", "1")
    for role, text in [("user", "a" * 10), ("assistant", "b" * 20), ("user", "c" * 30)]:
        await store.append_message(conversation.id, role, text)
    await store.append_message(
        conversation.id, "user", "look", extra={"images": ["https://x/1.png"]}, chars=40
    )

    assert contents(await store.history(conversation.id, 1000)) == [
        "a" * 10,
        "b" * 20,
        "c" * 30,
        "look",
    ]
    assert contents(await store.history(conversation.id, 90)) == ["b" * 20, "c" * 30, "look"]
    assert contents(await store.history(conversation.id, 89)) == ["c" * 30, "look"]
    assert contents(await store.history(conversation.id, 40)) == ["look"]
    assert await store.history(conversation.id, 39) == []
    newest = (await store.history(conversation.id, 40))[0]
    assert newest.extra == {"images": ["https://x/1.png"]}
    assert (newest.role, newest.chars) == ("user", 40)


async def test_conversation_and_history_read_together(store: Store) -> None:
    # The first turn in a scope creates its conversation, with no history yet.
    created, none_yet = await store.active_conversation_and_history("telegram", "3", "", 1000)
    assert none_yet == []
    assert await store.active_conversation("telegram", "3") == created
    for role, text in [("user", "a" * 10), ("assistant", "b" * 20), ("user", "c" * 30)]:
        await store.append_message(created.id, role, text)

    again, history = await store.active_conversation_and_history("telegram", "3", "", 50)

    assert again == created
    assert contents(history) == ["b" * 20, "c" * 30]  # the same budget rule as history()
    other, elsewhere = await store.active_conversation_and_history("telegram", "3", "9", 1000)
    assert other.id != created.id and elsewhere == []
    reset = await store.reset_conversation("telegram", "3")
    assert await store.active_conversation_and_history("telegram", "3", "", 1000) == (reset, [])


async def test_history_is_per_conversation(store: Store) -> None:
    one = await store.active_conversation("telegram", "1")
    two = await store.active_conversation("telegram", "2")
    await store.append_message(one.id, "user", "for one")
    await store.append_message(two.id, "user", "for two")
    assert [m.content for m in await store.history(two.id, 100)] == ["for two"]


async def test_history_survives_a_restart(open_store: OpenStore) -> None:
    first = await open_store()
    conversation = await first.active_conversation("discord", "77", "thread")
    await first.set_conversation_model(conversation.id, "gpt-4")
    await first.append_message(conversation.id, "user", "remember me")
    await first.append_message(conversation.id, "assistant", "I will")
    await first.close()

    reopened = await open_store()
    again = await reopened.active_conversation("discord", "77", "thread")
    assert again.id == conversation.id and again.model == "gpt-4"
    history = await reopened.history(again.id, 1000)
    assert [(m.role, m.content) for m in history] == [
        ("user", "remember me"),
        ("assistant", "I will"),
    ]


async def test_settings_per_user_and_per_chat(store: Store) -> None:
    user, chat = SettingScope.USER, SettingScope.CHAT
    assert await store.get_setting(user, "telegram", "1", "model") is None

    await store.set_setting(user, "telegram", "1", "model", "gpt-4o")
    await store.set_setting(user, "telegram", "1", "voice", {"name": "alloy", "speed": 1.5})
    await store.set_setting(chat, "telegram", "1", "model", "gemini-pro")
    await store.set_setting(user, "discord", "1", "model", "dall-e-3")
    await store.set_setting(user, "telegram", "1", "model", "gpt-4")  # overwrite

    assert await store.get_setting(user, "telegram", "1", "model") == "gpt-4"
    assert await store.get_setting(chat, "telegram", "1", "model") == "gemini-pro"
    assert await store.all_settings(user, "telegram", "1") == {
        "model": "gpt-4",
        "voice": {"name": "alloy", "speed": 1.5},
    }
    assert await store.delete_setting(user, "telegram", "1", "model") is True
    assert await store.delete_setting(user, "telegram", "1", "model") is False
    assert await store.all_settings(user, "telegram", "1") == {
        "voice": {"name": "alloy", "speed": 1.5}
    }
    assert await store.all_settings(user, "discord", "1") == {"model": "dall-e-3"}


async def test_settings_round_trip_json_types(store: Store) -> None:
    values: list[JsonValue] = [True, 0, 2.5, "текст 🎨", [1, "two", None], {"nested": {"list": []}}]
    for index, value in enumerate(values):
        await store.set_setting(SettingScope.CHAT, "discord", "c", f"k{index}", value)
    stored = await store.all_settings(SettingScope.CHAT, "discord", "c")
    assert stored == {f"k{index}": value for index, value in enumerate(values)}


async def test_a_long_history_is_cut_at_the_same_message_by_every_read(store: Store) -> None:
    # Longer than a page of history() (64 messages), sizes that vary (some zero), and
    # budgets that cut inside the second page, exactly at a total, or before everything.
    conversation = await store.active_conversation("telegram", "4")
    sizes = [(7 * i) % 23 for i in range(150)]
    for i, size in enumerate(sizes):
        await store.append_message(conversation.id, "user" if i % 2 == 0 else "assistant",
                                   f"m{i}", chars=size)
    query = EventQuery(platform="telegram", user_id="1", question_chat_id="4",
                       conversation_scope=("telegram", "4", ""))

    for budget in (0, 1, 500, 1000, sum(sizes[-90:]), sum(sizes), 10**9):
        kept: list[str] = []
        spent = 0
        for i in reversed(range(len(sizes))):  # newest first, until one does not fit
            spent += sizes[i]
            if spent > budget:
                break
            kept.insert(0, f"m{i}")
        history = await store.history(conversation.id, budget)
        together = await store.active_conversation_and_history("telegram", "4", "", budget)
        reads = await store.read_for_event(replace(query, history_chars=budget))

        assert contents(history) == kept, budget
        assert together == (conversation, history)
        assert reads.conversation == together
