"""``[discord] thread_per_conversation``: /chat and mentions in a text channel open a
thread and the conversation goes on there; threads and other commands answer in place."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import AppConfig
from bot.sim import SimRelay
from tests.discord.conftest import Running
from tests.fakes.clock import JumpingClock, start_app
from tests.fakes.discord_api import FakeDiscord, shown_text

WRITING = "still writing"


@pytest.fixture
async def threaded(
    config: AppConfig, dc: FakeDiscord, clock: JumpingClock
) -> AsyncIterator[Running]:
    assert config.discord is not None
    discord = dataclasses.replace(config.discord, thread_per_conversation=True)
    app = await start_app(dataclasses.replace(config, discord=discord), clock)
    try:
        yield Running(app, dc, clock)
    finally:
        await app.stop()


def bot_messages(dc: FakeDiscord, channel_id: str) -> list[dict[str, Any]]:
    return [
        m for m in dc.channel_messages(channel_id)
        if m["author"]["id"] == dc.bot_user["id"] and m["type"] in (0, 19, 20)
    ]


async def answered_in(dc: FakeDiscord, channel_id: str, count: int = 1) -> list[dict[str, Any]]:
    def done() -> bool:
        shown = bot_messages(dc, channel_id)
        return len(shown) >= count and all(WRITING not in shown_text(m) for m in shown)

    await dc.wait_until(done)
    return bot_messages(dc, channel_id)


async def test_chat_opens_a_thread_named_after_the_prompt_and_answers_there(
    threaded: Running, sim: SimRelay
) -> None:
    fake = threaded.fake
    asked = await fake.slash("chat", {"prompt": "tell me about otters\nand their habits " * 8})
    [opened] = await fake.wait_for("POST", f"/channels/{fake.channel_id}/threads")
    assert opened.json["type"] == 11  # public
    [thread] = fake.threads.values()
    assert thread["parent_id"] == fake.channel_id
    assert thread["name"].startswith("tell me about otters and their habits")
    assert len(thread["name"]) == 100 and "\n" not in thread["name"]
    [answer] = await answered_in(fake, thread["id"])
    assert "otters" in answer["content"]
    # The "thinking…" message in the channel now points to the thread.
    await fake.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    assert f"<#{thread['id']}>" in fake.messages[asked.original_id or ""]["content"]
    store = threaded.app.core.services.store
    in_thread = await store.active_conversation("discord", fake.channel_id, thread["id"])
    assert [m.role for m in await store.history(in_thread.id, 10_000)] == ["user", "assistant"]
    in_channel = await store.active_conversation("discord", fake.channel_id, "")
    assert await store.history(in_channel.id, 10_000) == []

    # Replying to the bot in the thread continues that conversation there.
    await fake.post_message("and their food?", channel_id=thread["id"], reply_to=answer["id"])
    await answered_in(fake, thread["id"], 2)
    follow_up = sim.requests_to("/v1/chat/completions")[-1].json
    assert "tell me about otters" in str(follow_up["messages"])
    assert len(fake.threads) == 1, "no second thread inside a thread"


async def test_mention_in_the_channel_opens_a_thread_on_that_message(
    threaded: Running,
) -> None:
    fake = threaded.fake
    asked = await fake.post_message("what is a <@&777> good for?", mention_bot=True)
    await fake.wait_for("POST", f"/channels/{fake.channel_id}/messages/{asked['id']}/threads")
    thread = fake.threads[asked["id"]]  # a thread on a message shares its id
    assert thread["name"] == "what is a good for?"
    [answer] = await answered_in(fake, thread["id"])
    assert answer["content"] and "message_reference" not in answer
    assert bot_messages(fake, fake.channel_id) == [], "nothing answered in the channel"


async def test_reset_in_a_thread_starts_over_in_that_thread(
    threaded: Running, sim: SimRelay
) -> None:
    fake = threaded.fake
    await fake.slash("chat", {"prompt": "remember the word pelican"})
    await fake.wait_for("POST", f"/channels/{fake.channel_id}/threads")
    [thread] = fake.threads.values()
    [answer] = await answered_in(fake, thread["id"])
    reset = await fake.slash("reset", channel_id=thread["id"])
    await fake.wait_for("PATCH", f"/webhooks/*/{reset.token}/messages/@original")
    assert len(fake.threads) == 1, "/reset answers in place"
    store = threaded.app.core.services.store
    fresh = await store.active_conversation("discord", fake.channel_id, thread["id"])
    assert await store.history(fresh.id, 10_000) == []

    await fake.post_message("which word?", channel_id=thread["id"], reply_to=answer["id"])
    [_, again] = await sim.wait_for_requests("/v1/chat/completions", 2)
    assert "which word?" in str(again.json["messages"])
    assert "pelican" not in str(again.json["messages"])


async def test_chat_inside_a_thread_and_other_commands_answer_in_place(
    threaded: Running,
) -> None:
    fake = threaded.fake
    in_thread = await fake.slash("chat", {"prompt": "hello"}, channel_id=fake.thread_id)
    await fake.wait_for(
        "PATCH", f"/webhooks/*/{in_thread.token}/messages/@original",
        where=lambda c: WRITING not in (c.content or ""),
    )
    settings = await fake.slash("help")
    await fake.wait_for("PATCH", f"/webhooks/*/{settings.token}/messages/@original")
    await fake.post_message("/help", mention_bot=True)
    await answered_in(fake, fake.channel_id, 2)
    assert fake.threads == {}
    assert not fake.calls_to("POST", "/channels/*/threads")


async def test_without_the_option_chat_answers_in_the_channel(dcbot: Running) -> None:
    fake = dcbot.fake
    asked = await fake.slash("chat", {"prompt": "hello"})
    await fake.wait_for(
        "PATCH", f"/webhooks/*/{asked.token}/messages/@original",
        where=lambda c: WRITING not in (c.content or ""),
    )
    await fake.post_message("hi again", mention_bot=True)
    await answered_in(fake, fake.channel_id, 2)
    assert fake.threads == {}
    assert not fake.calls_to("POST", "/channels/*/threads")
    assert not fake.calls_to("POST", "/channels/*/messages/*/threads")


async def test_a_refused_thread_answers_in_place(threaded: Running) -> None:
    fake = threaded.fake
    fake.fail("POST", "/channels/*/threads", status=403,
              body={"message": "Missing Permissions", "code": 50013})
    asked = await fake.slash("chat", {"prompt": "hello"})
    [final] = (await fake.wait_for(
        "PATCH", f"/webhooks/*/{asked.token}/messages/@original",
        where=lambda c: WRITING not in (c.content or ""),
    ))[-1:]
    assert "hello" in (final.content or "")
    assert fake.threads == {}
