"""/admin on Discord: one command with typed subcommands; the same words as elsewhere,
refused to non-admins, changes stored; stats come with a PNG chart."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

from bot.config import AccessConfig, AppConfig, CreditsConfig
from bot.core.texts import t
from bot.sim import SimRelay
from tests.discord.conftest import Running
from tests.fakes.discord_api import Call, FakeDiscord

ALICE = "discord:940000000000000001"  # the fake's default user, an admin here
BOB = "discord:940000000000000002"


@pytest.fixture
def config(config: AppConfig) -> AppConfig:
    return dataclasses.replace(
        config,
        access=AccessConfig(admins=frozenset({ALICE})),
        credits=CreditsConfig(enabled=True, daily=20, cost={"dalle": 5}),
    )


def answers(fake: FakeDiscord, token: str) -> list[Call]:
    """What the bot posted or edited in answer to one interaction (with text or files)."""
    return [c for c in fake.calls if f"/{token}" in c.path and c.method in ("POST", "PATCH")
            and (c.shown or c.files)]


async def answered(fake: FakeDiscord, token: str) -> str:
    await fake.wait_until(lambda: bool(answers(fake, token)))
    return answers(fake, token)[-1].shown


async def test_admin_is_one_command_with_typed_subcommands(dcbot: Running) -> None:
    [admin] = [c for c in dcbot.adapter.client.tree.get_commands() if c.name == "admin"]
    payload = admin.to_dict(dcbot.adapter.client.tree)
    subcommands = {o["name"]: o for o in payload["options"]}
    assert list(subcommands) == ["allow", "deny", "grant", "allowance", "stats", "jobs",
                                 "cancel", "language"]
    grant = {o["name"]: o["type"] for o in subcommands["grant"]["options"]}
    assert grant == {"who": 3, "credits": 10}  # string, number
    assert [o["type"] for o in subcommands["stats"]["options"]] == [4]  # integer


async def test_grant_and_deny_through_subcommands_apply_at_once(
    dcbot: Running, sim: SimRelay
) -> None:
    fake = dcbot.fake
    asked = await fake.slash("admin", {"grant": {"who": BOB, "credits": 12.5}})
    assert await answered(fake, asked.token) == f"Granted {BOB} 12.5 extra credits."
    asked = await fake.slash("usage", user=fake.other_user)
    usage = await answered(fake, asked.token)
    assert "Extra credits: 12.5" in usage and "Left: 32.5" in usage

    asked = await fake.slash("admin", {"deny": {"who": BOB}})
    assert await answered(fake, asked.token) == f"Denied {BOB}."
    asked = await fake.slash("chat", {"prompt": "hi"}, user=fake.other_user)
    assert await answered(fake, asked.token) == "Sorry, you are not allowed to use this bot."
    assert sim.requests_to("/v1/chat/completions") == []


async def test_non_admins_are_refused(dcbot: Running) -> None:
    fake = dcbot.fake
    asked = await fake.slash("admin", {"stats": {"days": 3}}, user=fake.other_user)
    [answer] = await fake.wait_for("POST", f"/webhooks/*/{asked.token}")
    assert answer.content == "Only the bot's admins may use /admin."
    assert answer.json["flags"] & 64


async def test_stats_attach_a_png_chart(dcbot: Running) -> None:
    fake = dcbot.fake
    asked = await fake.slash("dalle", {"prompt": "a lighthouse"})
    await fake.wait_until(lambda: any(c.files for c in answers(fake, asked.token)))
    asked = await fake.slash("admin", {"stats": {}})
    await fake.wait_until(lambda: any(c.files for c in answers(fake, asked.token)))
    [call] = [c for c in answers(fake, asked.token) if c.files]
    [upload] = call.files
    assert upload.filename == "credits.png" and upload.data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(upload.data)) as image:
        image.load()
        assert image.size == (800, 400)
    assert "Last 7 days" in call.shown
    assert f"{t('capability.image', 'en')}: 5 credits, 1 uses" in call.shown
