"""Groups: the bot chats only when mentioned or replied to; forum topics keep their own
conversation and answers stay in their topic."""

from __future__ import annotations

from bot.sim import SimRelay
from tests.telegram.conftest import Running


def chat_requests(sim: SimRelay) -> list[str]:
    return [r.json["messages"][-1]["content"] for r in sim.requests_to("/v1/chat/completions")]


async def test_group_chatter_is_ignored_but_mentions_and_replies_are_answered(
    tgbot: Running, sim: SimRelay
) -> None:
    fake = tgbot.fake
    group = fake.group()
    bob = fake.user(1002, "Bob")
    await tgbot.say("just talking among ourselves", chat=group, user=bob)
    await tgbot.say("/help@some_other_bot", chat=group, user=bob)
    await tgbot.say("/help@relay_test_bot", chat=group, user=bob)
    await tgbot.answer(group, containing="Here is what I can do")
    assert chat_requests(sim) == []
    assert len(fake.messages_in(group)) == 1

    await tgbot.say("@relay_test_bot what is the time?", chat=group, user=bob)
    answer = await tgbot.answer(group, after=1, containing="simulated")
    assert chat_requests(sim) == ["what is the time?"]

    await fake.wait_until(lambda: "still writing" not in fake.messages_in(group)[-1].text)
    await tgbot.say("and tomorrow?", chat=group, user=bob, reply_to=answer.message_id)
    await fake.wait_until(lambda: len(chat_requests(sim)) == 2, what="the reply to be chat")
    assert chat_requests(sim)[-1] == "and tomorrow?"


async def test_topics_have_their_own_conversation_and_answers_stay_in_them(
    tgbot: Running,
) -> None:
    fake = tgbot.fake
    forum = fake.group(-100777, "Forum", forum=True)
    bob = fake.user(1002, "Bob")
    cats = fake.topic(forum, bob, "Cats")
    dogs = fake.topic(forum, bob, "Dogs")
    await tgbot.say("/model gpt-4o", chat=forum, user=bob, thread=cats)
    switched = await tgbot.answer(forum, containing="From now on")
    assert switched.thread_id == cats
    await tgbot.say("/model", chat=forum, user=bob, thread=dogs)
    shown = await tgbot.answer(forum, after=1, containing="This conversation uses")
    assert shown.thread_id == dogs
    assert "gpt-4o-mini" in shown.text, "the other topic keeps the default model"
    assert all(c.params.get("message_thread_id") in (cats, dogs) for c in fake.sent("sendMessage"))
