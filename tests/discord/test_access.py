"""[access], [credits] and [limits] on Discord: a capability for a server role, refused
users and servers, credits reserved then charged; refusals are ephemeral and nothing
reaches the relay."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from bot.config import AccessConfig, AppConfig, CreditsConfig
from bot.sim import Fault, SimRelay
from tests.discord.conftest import Running
from tests.discord.test_buttons import buttons_of
from tests.fakes.clock import Jobs
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import ARTIST_ROLE_ID

BOB = "discord:940000000000000002"


@pytest.fixture
def chats() -> frozenset[str]:
    return frozenset()


@pytest.fixture
def config(config: AppConfig, chats: frozenset[str]) -> AppConfig:
    return dataclasses.replace(
        config,
        access=AccessConfig(deny_users=frozenset({BOB}), chats=chats,
                            only={"midjourney": frozenset({f"discord:role:{ARTIST_ROLE_ID}"})}),
        credits=CreditsConfig(enabled=True, daily=10, cost={"mj_imagine": 8, "mj_action": 2}),
    )


async def refusal(fake: FakeDiscord, token: str) -> str:
    [answer] = await fake.wait_for("POST", f"/webhooks/*/{token}")
    assert answer.json["flags"] & 64, "refusals are shown to their author only"
    return answer.content or ""


async def test_a_capability_for_a_role_refuses_members_without_it(
    dcbot: Running, sim: SimRelay, jobs: Jobs
) -> None:
    fake = dcbot.fake
    asked = await fake.slash("imagine", {"prompt": "a red fox"})
    assert await refusal(fake, asked.token) == (
        "Sorry, you are not allowed to use Midjourney here."
    )
    assert sim.requests_to("/mj/submit/imagine") == []

    asked = await fake.slash("imagine", {"prompt": "a red fox"}, roles=[ARTIST_ROLE_ID])
    await fake.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    assert len(sim.requests_to("/mj/submit/imagine")) == 1
    for _ in range(3):
        await jobs.tick()
    store = dcbot.app.core.services.store
    kinds = [(e.kind, e.amount) for e in await store.ledger_entries()]
    assert kinds == [("reserve", 8), ("charge", 8)]

    asked = await fake.slash("imagine", {"prompt": "an owl"}, roles=[ARTIST_ROLE_ID])
    assert await refusal(fake, asked.token) == (
        "/imagine costs 8 credits; you have 2 left until 00:00 UTC."
    )
    assert len(sim.requests_to("/mj/submit/imagine")) == 1


async def test_a_denied_user_is_refused(dcbot: Running, sim: SimRelay) -> None:
    fake = dcbot.fake
    asked = await fake.slash("chat", {"prompt": "hi"}, user=fake.other_user)
    assert await refusal(fake, asked.token) == "Sorry, you are not allowed to use this bot."
    assert sim.requests_to("/v1/chat/completions") == []


@pytest.mark.parametrize("chats", [frozenset({"discord:910000000000000001"})])
async def test_the_chats_allowlist_names_servers(dcbot: Running, sim: SimRelay) -> None:
    fake = dcbot.fake
    asked = await fake.slash("chat", {"prompt": "hi"})
    await fake.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    assert len(sim.requests_to("/v1/chat/completions")) == 1

    # An admin's rule for the server wins over the list: every channel in it is refused.
    store = dcbot.app.core.services.store
    await store.set_access_rule(f"discord:{fake.guild_id}", "deny", at=dcbot.clock())
    asked = await fake.slash("chat", {"prompt": "hi"})
    assert await refusal(fake, asked.token) == "Sorry, this bot is not allowed to answer here."
    assert len(sim.requests_to("/v1/chat/completions")) == 1


@pytest.mark.parametrize("chats", [frozenset({"discord:1234"})])
async def test_a_server_outside_the_chats_allowlist_is_refused(
    dcbot: Running, sim: SimRelay
) -> None:
    asked = await dcbot.fake.slash("chat", {"prompt": "hi"})
    assert await refusal(dcbot.fake, asked.token) == (
        "Sorry, this bot is not allowed to answer here."
    )
    assert sim.requests_to("/v1/chat/completions") == []


async def test_fifty_clicks_with_credits_for_one_reserve_once_after_a_refused_member(
    dcbot: Running, sim: SimRelay, jobs: Jobs
) -> None:
    """The access rules come before the one-press claim (a member without the role holds
    nothing), the claim before the credits (49 repeats are told it is running, not that
    credits are short, and reserve nothing)."""
    fake = dcbot.fake
    asked = await fake.slash("imagine", {"prompt": "a windmill"}, roles=[ARTIST_ROLE_ID])
    await fake.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    for _ in range(3):
        await jobs.tick()
    [grid] = [m for m in fake.messages.values()
              if m.get("attachments") and m.get("components")]
    u1 = buttons_of(grid)["U1"]["custom_id"]
    clicked = await fake.click(grid["id"], u1)
    assert "not allowed to use Midjourney" in await refusal(fake, clicked.token)

    release = asyncio.Event()
    sim.add_fault(Fault("POST", "/mj/submit/action", hold=release, times=None))
    clicks = [asyncio.ensure_future(fake.click(grid["id"], u1, roles=[ARTIST_ROLE_ID]))
              for _ in range(50)]
    await sim.wait_for_requests("/mj/submit/action", 1)
    release.set()
    await asyncio.gather(*clicks)
    notices = await fake.wait_for(
        "POST", "/webhooks/*/*", 49, timeout_s=30,
        where=lambda c: "Already working on it" in (c.content or ""),
    )
    assert len(notices) == 49
    assert len(sim.requests_to("/mj/submit/action")) == 1
    store = dcbot.app.core.services.store
    kinds = [(e.kind, e.amount) for e in await store.ledger_entries()]
    assert kinds == [("reserve", 8), ("charge", 8), ("reserve", 2)]
