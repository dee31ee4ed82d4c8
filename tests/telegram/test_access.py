"""[access] on Telegram: refused users, chats and capabilities get one short answer and
nothing reaches the relay; admins are never refused; /admin is for admins only."""

from __future__ import annotations

import dataclasses

import pytest

from bot.config import AccessConfig, AppConfig
from bot.sim import SimRelay, media
from tests.telegram.conftest import Running

ALICE, BOB, CAROL = "telegram:1001", "telegram:1002", "telegram:1003"
ALLOWED_GROUP = -100777


@pytest.fixture
def config(config: AppConfig) -> AppConfig:
    return dataclasses.replace(config, access=AccessConfig(
        admins=frozenset({CAROL}),
        users=frozenset({ALICE, BOB}),
        deny_users=frozenset({BOB}),
        chats=frozenset({f"telegram:{ALLOWED_GROUP}"}),
        only={"video": frozenset({ALICE}), "image": frozenset({CAROL}),
              "chat": frozenset({ALICE, CAROL})},
    ))


def relay_calls(sim: SimRelay) -> list[str]:
    return [r.path for r in sim.requests if not r.path.startswith("/sim/")]


async def test_a_user_outside_the_allowlist_is_refused_and_nothing_is_sent(
    tgbot: Running, sim: SimRelay
) -> None:
    dave = tgbot.fake.user(1004, "Dave")
    dm = tgbot.fake.private_chat(dave)
    await tgbot.say("hello there", chat=dm, user=dave)
    answer = await tgbot.answer(dm)
    assert answer.text == "Sorry, you are not allowed to use this bot."
    await tgbot.say("/imagine a fox", chat=dm, user=dave)
    await tgbot.answer(dm, after=1, containing="not allowed")
    assert relay_calls(sim) == []


async def test_a_denied_user_is_refused_even_when_listed(tgbot: Running, sim: SimRelay) -> None:
    bob = tgbot.fake.user(1002, "Bob")
    dm = tgbot.fake.private_chat(bob)
    await tgbot.say("/chat hi", chat=dm, user=bob)
    assert (await tgbot.answer(dm)).text == "Sorry, you are not allowed to use this bot."
    assert relay_calls(sim) == []


async def test_only_listed_groups_are_answered(tgbot: Running, sim: SimRelay) -> None:
    other = tgbot.fake.group(-100999, "Elsewhere")
    await tgbot.say("/chat@relay_test_bot hi", chat=other)
    assert (await tgbot.answer(other)).text == "Sorry, this bot is not allowed to answer here."
    assert relay_calls(sim) == []
    allowed = tgbot.fake.group(ALLOWED_GROUP, "Artists")
    await tgbot.say("/chat@relay_test_bot hi", chat=allowed)
    await tgbot.answer(allowed, containing="simulated")
    assert relay_calls(sim) == ["/v1/chat/completions"]


async def test_a_capability_is_for_the_users_listed_under_access_only(
    tgbot: Running, sim: SimRelay
) -> None:
    await tgbot.say("/dalle a lighthouse")
    answer = await tgbot.answer()
    assert answer.text == "Sorry, you are not allowed to use image generation here."
    assert relay_calls(sim) == []
    await tgbot.say("/video a wave")  # Alice is listed for video
    await tgbot.answer(after=1, containing="a wave")
    assert relay_calls(sim) == ["/luma/v1/generations"]


async def test_admins_pass_every_rule_and_only_they_may_use_admin(
    tgbot: Running, sim: SimRelay
) -> None:
    await tgbot.say("/admin stats")
    assert (await tgbot.answer()).text == "Only the bot's admins may use /admin."
    carol = tgbot.fake.user(1003, "Carol")
    dm = tgbot.fake.private_chat(carol)
    await tgbot.say("/dalle a lighthouse", chat=dm, user=carol)  # not in users, but an admin
    await tgbot.answer(dm, containing="lighthouse")
    assert relay_calls(sim) == ["/v1/images/generations"]


async def test_a_voice_message_does_not_chat_for_a_user_not_allowed_to_chat(
    tgbot: Running, sim: SimRelay
) -> None:
    dave = tgbot.fake.user(1004, "Dave")
    dm = tgbot.fake.private_chat(dave)
    await tgbot.app.core.services.store.set_access_rule("telegram:1004", "allow", at=tgbot.clock())
    tgbot.fake.send_voice(dm, dave, media.make_ogg_opus())
    answer = await tgbot.answer(dm, containing="not allowed")
    assert answer.text == "Sorry, you are not allowed to use chat here."
    await tgbot.adapter.settled()
    assert relay_calls(sim) == [], "neither transcribed nor chatted"
