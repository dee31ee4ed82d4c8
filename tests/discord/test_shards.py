"""Gateway shards: ``[discord] shard_ids`` of ``shard_count`` in one process.

Two Apps, as two processes would, run shards 0-1 and 2-3 of four against the fake
gateway, which routes the guild's events to the one shard Discord assigns it:
(guild_id >> 22) % shard_count. Only the App running that shard sees the guild and
answers its commands and its question modals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence

import pytest

from adapters.discord import DiscordAdapter
from adapters.discord.client import IDENTIFY_INTERVAL_S
from bot.app import App
from bot.config import AppConfig
from bot.sim import SimRelay
from tests.discord.conftest import Running
from tests.discord.test_jobs import press_custom_zoom
from tests.fakes.clock import Jobs, JumpingClock, start_app
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_records import shown_text

SHARD_COUNT = 4


def _sharded(config: AppConfig, shard_ids: Sequence[int] | None, count: int) -> AppConfig:
    assert config.discord is not None
    discord = dataclasses.replace(
        config.discord, shard_ids=tuple(shard_ids) if shard_ids else None, shard_count=count
    )
    return dataclasses.replace(config, discord=discord)


def _client_of(app: App) -> DiscordAdapter:
    adapter = app.adapters["discord"]
    assert isinstance(adapter, DiscordAdapter)
    return adapter


@pytest.fixture
async def halves(
    config: AppConfig, dc: FakeDiscord, clock: JumpingClock
) -> AsyncIterator[tuple[App, App]]:
    """Shards 0-1 in one App, 2-3 in the other, on one store."""
    first = await start_app(_sharded(config, [0, 1], SHARD_COUNT), clock)
    try:
        second = await start_app(_sharded(config, [2, 3], SHARD_COUNT), clock)
        try:
            yield first, second
        finally:
            await second.stop()
    finally:
        await first.stop()


async def test_each_process_identifies_its_own_shards_one_at_a_time(
    halves: tuple[App, App], dc: FakeDiscord, clock: JumpingClock
) -> None:
    assert sorted(tuple(frame["shard"]) for frame in dc.identify) == [
        (0, 4), (1, 4), (2, 4), (3, 4)
    ]
    # Discord allows one IDENTIFY per 5 s: the second shard of each App waited its turn.
    assert clock.slept.count(IDENTIFY_INTERVAL_S) == 2


async def test_the_guilds_events_reach_only_the_process_running_its_shard(
    halves: tuple[App, App], dc: FakeDiscord
) -> None:
    owner_shard = dc.guild_shard(SHARD_COUNT)
    owner, other = halves if owner_shard in (0, 1) else reversed(halves)
    guild_id = int(dc.guild_id)
    assert _client_of(owner).client.get_guild(guild_id) is not None
    assert _client_of(other).client.get_guild(guild_id) is None

    asked = await dc.slash("chat", {"prompt": "which shard am I on?"})
    [*_, answer] = await dc.wait_for(
        "PATCH", f"/webhooks/*/{asked.token}/messages/@original",
        where=lambda c: "reply #1" in c.shown,
    )
    assert "which shard am I on?" in answer.shown
    callbacks = dc.calls_to("POST", f"/interactions/{asked.id}/{asked.token}/callback")
    assert len(callbacks) == 1, "one process acknowledged it; the other never saw it"
    assert "which shard" in shown_text(dc.messages[asked.original_id])


@pytest.mark.sim(steps=2)
async def test_the_process_running_the_guilds_shard_reads_a_question_modal(
    halves: tuple[App, App], dc: FakeDiscord, clock: JumpingClock, sim: SimRelay
) -> None:
    owner_shard = dc.guild_shard(SHARD_COUNT)
    owner = halves[0] if owner_shard in (0, 1) else halves[1]
    bot = Running(owner, dc, clock)
    zooming = await press_custom_zoom(bot, Jobs(bot.tracker, clock))

    submitted = await dc.submit_modal(zooming, ["a lighthouse at dusk --zoom 2"])
    await dc.wait_for("POST", f"/interactions/{submitted.id}/*/callback")
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse at dusk --zoom 2"


async def test_shard_count_alone_runs_every_shard_here(
    config: AppConfig, dc: FakeDiscord, clock: JumpingClock
) -> None:
    app = await start_app(_sharded(config, None, 2), clock)
    try:
        assert sorted(tuple(frame["shard"]) for frame in dc.identify) == [(0, 2), (1, 2)]
        assert _client_of(app).client.get_guild(int(dc.guild_id)) is not None
    finally:
        await app.stop()
