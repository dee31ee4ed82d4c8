"""Connecting, and registering slash commands only when asked."""

from __future__ import annotations

import dataclasses

import discord
import pytest

from adapters.base import PlatformStartError
from adapters.discord import sync_commands
from bot.app import App
from bot.config import AppConfig, Secret
from tests.discord.conftest import Running
from tests.fakes.discord_api import FakeDiscord


async def test_start_connects_without_registering_commands(dcbot: Running) -> None:
    fake = dcbot.fake
    assert len(fake.identify) == 1
    assert fake.heartbeats >= 1
    assert fake.calls_to("PUT", "/applications/*/commands") == []
    assert fake.calls_to("PUT", "/applications/*/guilds/*/commands") == []


async def test_sync_to_configured_guild_is_typed(dcbot: Running) -> None:
    count = await dcbot.adapter.sync_commands()
    fake = dcbot.fake
    [call] = fake.calls_to("PUT", f"/applications/{fake.application_id}/guilds/*/commands")
    assert call.path.split("/")[4] == fake.guild_id
    assert fake.calls_to("PUT", "/applications/*/commands") == []
    by_name = {c["name"]: c for c in call.json}
    assert count == len(by_name) and {"chat", "model", "reset", "help"} <= set(by_name)
    chat = {o["name"]: o for o in by_name["chat"]["options"]}
    assert chat["prompt"]["type"] == 3 and chat["prompt"]["required"] is True
    assert chat["model"].get("autocomplete") is True
    for command, option in (("model", "name"), ("complete", "model")):
        suggested = {o["name"]: o for o in by_name[command]["options"]}[option]
        assert suggested.get("autocomplete") is True, f"/{command} {option} suggests models"
    assert chat["image"]["type"] == 11
    assert by_name["chat"]["options"][0]["name"] == "prompt"  # required options first
    assert all(0 < len(c["description"]) <= 100 for c in call.json)
    imagine = {o["name"]: o for o in by_name["imagine"]["options"]}
    assert [c["value"] for c in imagine["mode"]["choices"]] == ["fast", "relax", "turbo"]
    tts = {o["name"]: o for o in by_name["tts"]["options"]}
    speed = tts["speed"]
    assert (speed["type"], speed["min_value"], speed["max_value"]) == (10, 0.25, 4.0)
    assert {o["name"]: o["type"] for o in by_name["music"]["options"]}["instrumental"] == 5


async def test_sync_globally_without_guilds(config: AppConfig, dc: FakeDiscord) -> None:
    from bot.commands import all_commands

    assert config.discord is not None
    count = await sync_commands(config.discord, all_commands(), guild_ids=())
    [call] = dc.calls_to("PUT", f"/applications/{dc.application_id}/commands")
    assert count == len(call.json) > 0
    assert dc.identify == []  # registering needs no gateway connection



async def test_wrong_token_fails_start_clearly_and_cleanly(
    config: AppConfig, dc: FakeDiscord
) -> None:
    assert config.discord is not None
    wrong = dataclasses.replace(config.discord, token=Secret("not-the-token"))
    app = App(dataclasses.replace(config, discord=wrong), platforms=("discord",))
    with pytest.raises(PlatformStartError, match="refused the bot token") as caught:
        await app.start()
    assert "not-the-token" not in str(caught.value)
    assert dc.identify == []
    assert dc.api_base != discord.http.Route.BASE  # endpoints restored after the failure
