"""Roles: processes sharing one store split the work (``relaybot run --only ...``).

A receiver takes the Telegram updates and the Discord gateway and tracks no jobs; a
``jobs`` process connects to neither (no getUpdates, no webhook, no IDENTIFY) yet
delivers every result on both platforms, through the Bot API and Discord's REST API.
Both Apps run in this event loop on one SQLite file and one virtual clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from adapters.discord import DiscordAdapter
from adapters.telegram import TelegramAdapter
from bot.app import App, RoleError, assign_roles, assign_shards
from bot.config import AppConfig
from tests.e2e.harness import Operator
from tests.fakes.clock import Jobs, JumpingClock
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram

RECEIVING_CALLS = ("getUpdates", "deleteWebhook", "setWebhook", "setMyCommands")


def _app(config: AppConfig, clock: JumpingClock, *roles: str) -> App:
    return App(config, clock=clock, sleep=clock.sleep, wall_clock=clock, start_tracker=False,
               only=roles)


@pytest.fixture
async def worker(config: AppConfig, clock: JumpingClock) -> AsyncIterator[App]:
    """``relaybot run --only jobs``."""
    app = _app(config, clock, "jobs")
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def receiver(
    config: AppConfig, tg: FakeTelegram, dc: FakeDiscord, clock: JumpingClock, worker: App
) -> AsyncIterator[Operator]:
    """``relaybot run --only telegram,discord``, started after the worker."""
    app = _app(config, clock, "telegram", "discord")
    await app.start()
    alice = tg.user(1001, "Alice", username="alice")
    try:
        yield Operator(app, tg, dc, clock, alice, tg.private_chat(alice))
    finally:
        await app.stop()


async def test_a_jobs_process_connects_to_no_platform_events(
    worker: App, tg: FakeTelegram, dc: FakeDiscord
) -> None:
    assert worker.tracker is not None
    telegram, discord = worker.adapters["telegram"], worker.adapters["discord"]
    assert isinstance(telegram, TelegramAdapter) and isinstance(discord, DiscordAdapter)
    assert tg.sent("getMe"), "the token is checked"
    assert [c.method for c in tg.calls if c.method in RECEIVING_CALLS] == []
    assert dc.identify == [], "no gateway connection"
    assert dc.calls_to("GET", "/users/@me"), "logged in over REST"
    assert worker.describe_roles() == "only sends to telegram, discord; tracks jobs"


async def test_results_of_the_receivers_commands_are_delivered_by_the_jobs_process(
    receiver: Operator, worker: App, tg: FakeTelegram, dc: FakeDiscord, clock: JumpingClock
) -> None:
    assert receiver.app.tracker is None
    assert receiver.app.describe_roles() == "receives telegram, discord; tracks no jobs"
    assert len(dc.identify) == 1, "only the receiver is on the gateway"
    assert len(tg.sent("deleteWebhook")) == 1, "only the receiver polls"

    await receiver.tg_say("/imagine a red fox")
    await receiver.dc_slash("imagine", {"prompt": "a blue whale"})
    assert receiver.tg_results() == [] and receiver.dc_results() == []

    assert worker.tracker is not None
    jobs = Jobs(worker.tracker, clock)
    for _ in range(4):
        await jobs.tick()

    [tg_result] = receiver.tg_results()
    assert "a red fox" in tg_result.text
    [dc_result] = receiver.dc_results()
    assert "a blue whale" in receiver.dc_text(dc_result["id"])
    store = worker.core.services.store
    assert await store.list_active_jobs() == [] and await store.list_due_deliveries() == []
    # The worker's Telegram side only ever sent: the updates are still the receiver's.
    assert len(tg.sent("deleteWebhook")) == 1 and len(dc.identify) == 1


async def test_receive_false_in_the_config_makes_a_platform_send_only(
    config: AppConfig, tg: FakeTelegram, dc: FakeDiscord, clock: JumpingClock
) -> None:
    assert config.telegram is not None and config.discord is not None
    quiet = dataclasses.replace(
        config,
        telegram=dataclasses.replace(config.telegram, receive=False),
        discord=dataclasses.replace(config.discord, receive=False),
    )
    app = App(quiet, clock=clock, sleep=clock.sleep, wall_clock=clock, start_tracker=False)
    await app.start()
    try:
        assert set(app.adapters) == {"telegram", "discord"} and app.tracker is not None
        assert [c.method for c in tg.calls if c.method in RECEIVING_CALLS] == []
        assert dc.identify == []
    finally:
        await app.stop()


def test_roles_without_jobs_start_only_the_platforms_named(
    config: AppConfig, tg: FakeTelegram, dc: FakeDiscord
) -> None:
    only_telegram, tracks = assign_roles(config, ["telegram"])
    assert only_telegram.discord is None and not tracks
    assert only_telegram.telegram == config.telegram
    everything, tracks = assign_roles(config, None)
    assert everything == config and tracks


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["jobs", "slack"], "unknown role slack"),
        (["discord"], "the configuration has no [discord] section"),
        (["telegram", "jobs"], "[telegram] receive = false in the configuration"),
    ],
)
def test_impossible_roles_are_one_clear_error(
    config: AppConfig, tg: FakeTelegram, roles: list[str], message: str
) -> None:
    assert config.telegram is not None
    odd = dataclasses.replace(
        config, discord=None, telegram=dataclasses.replace(config.telegram, receive=False)
    )
    with pytest.raises(RoleError) as caught:
        assign_roles(odd, roles)
    assert message in str(caught.value)


def test_shard_ids_from_the_command_line_replace_the_configured_ones(
    config: AppConfig, dc: FakeDiscord
) -> None:
    assert config.discord is not None
    sharded = dataclasses.replace(
        config, discord=dataclasses.replace(config.discord, shard_ids=(0, 1), shard_count=4)
    )
    mine = assign_shards(sharded, [3, 2])
    assert mine.discord is not None and mine.discord.shard_ids == (2, 3)
    assert assign_shards(sharded, None) == sharded
    for wrong in ([4], [1, 1], []):
        with pytest.raises(RoleError, match="name each shard once, from 0 to 3"):
            assign_shards(sharded, wrong)
