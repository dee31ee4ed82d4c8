"""The Discord adapter: connects, turns events into invocations, answers through responders.

Lifecycle (discord.py's advanced startup, so Discord shares the event loop with
Telegram and the job tracker)::

    adapter = build(config, core.dispatcher, Host())
    await adapter.start()          # login (REST), then the gateway in a task; returns when ready
    await adapter.sync_commands()  # only when asked (relaybot sync-commands / run --sync-commands)
    ...
    await adapter.stop()

Events (slash commands, button presses, modal answers, messages) are handled by
:class:`~adapters.discord.events.DiscordEvents`, which this adapter extends.

With ``thread_per_conversation``, conversation commands (/chat) and chat messages in a
text channel open a thread first and are answered there (:mod:`adapters.discord.threads`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
import discord

from adapters.base import CoreHandler, Host
from adapters.discord.channel import ChannelResponder, Shared
from adapters.discord.client import (
    RelayDiscordClient,
    Restore,
    ShardedRelayDiscordClient,
    point_at,
)
from adapters.discord.connect import DiscordStartError, discord_proxy, explained_start_failures
from adapters.discord.convert import PLATFORM, channel_id_of
from adapters.discord.events import DiscordEvents
from adapters.discord.slash import build_commands, sync_tree
from adapters.discord.threads import ConversationThreads
from bot.config import AppConfig, DiscordConfig
from bot.core.context import Clock, Sleep
from bot.core.models import ChatRef, Responder
from bot.core.texts import normalise_locale
from bot.proxy import client_session

log = logging.getLogger(__name__)

class DiscordAdapter(DiscordEvents):
    name = PLATFORM

    def __init__(
        self,
        config: DiscordConfig,
        core: CoreHandler,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        locale: str = "en",
        ack_after_s: float = 2.0,
        modal_timeout_s: float = 600.0,
        stop_grace_s: float = 10.0,
        proxy: str | None = None,
    ) -> None:
        """``proxy``: the URL every Discord connection goes through (None: direct)."""
        self._config = config
        self._proxy = proxy
        self._core = core
        self._locale = normalise_locale(locale)
        self._sleep = sleep
        self._clock = clock
        self._ack_after_s = ack_after_s
        self._modal_timeout_s = modal_timeout_s
        self._stop_grace_s = stop_grace_s
        self._client: RelayDiscordClient | None = None
        self._shared: Shared | None = None
        self._threads: ConversationThreads | None = None
        self._session: aiohttp.ClientSession | None = None
        self._gateway: asyncio.Task[None] | None = None
        self._restore: Restore | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self._restore = point_at(self._config.api_base_url, self._config.gateway_url)
        self._session = client_session(self._proxy)
        client = self._new_client()
        self._client = client
        self._shared = Shared(client, self._clock, self._sleep)
        self._threads = ConversationThreads(
            self._shared, enabled=self._config.thread_per_conversation, locale=self._locale
        )
        try:
            with explained_start_failures():
                await client.login(self._config.token.reveal())
                if not self._config.receive:
                    # REST is all sending needs; the gateway (events) is another process's.
                    log.info("Discord: sending only as %s (receive = false)", client.user)
                    return
                # READY ("connect", of every shard) is enough: interactions are handled
                # from then on, while discord.py's "ready" waits a further
                # guild_ready_timeout for guild data.
                connected = asyncio.ensure_future(client.connected.wait())
                self._gateway = asyncio.create_task(client.connect(), name="discord-gateway")
                racing: set[asyncio.Future[Any]] = {connected, self._gateway}
                await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
                if not connected.done():
                    connected.cancel()
                    self._gateway.result()  # raises what ended the connection
                    raise DiscordStartError(
                        "the Discord gateway closed before the bot was ready"
                    )
        except BaseException:
            await self.stop()
            raise
        shards = self._config.shard_ids or range(self._config.shard_count or 1)
        log.info("Discord connected as %s%s", client.user,
                 f" (shards {', '.join(map(str, shards))} of {self._config.shard_count})"
                 if self._config.sharded else "")

    def _new_client(self) -> RelayDiscordClient:
        commands = build_commands(self._core.commands, self._on_command, self._core.choices,
                                  self._locale)
        config = self._config
        if config.receive and config.shard_count is not None:
            return ShardedRelayDiscordClient(
                commands,
                shard_ids=config.shard_ids,
                shard_count=config.shard_count,
                on_message=self._on_message,
                on_press=self._on_press,
                on_answer=self._on_answer,
                proxy=self._proxy,
                identify_sleep=self._sleep,
            )
        return RelayDiscordClient(
            commands,
            on_message=self._on_message,
            on_press=self._on_press,
            on_answer=self._on_answer,
            proxy=self._proxy,
            identify_sleep=self._sleep,
        )

    async def stop(self) -> None:
        """Stop taking events, let running handlers finish (``stop_grace_s``), disconnect."""
        if self._client is not None:
            self._client.accepting = False
        running = set(self._tasks)
        if running:
            _, late = await asyncio.wait(running, timeout=self._stop_grace_s)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        if self._client is not None:
            await self._client.close()
        if self._gateway is not None:
            with contextlib.suppress(asyncio.CancelledError, discord.DiscordException, OSError):
                await self._gateway
            self._gateway = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._restore is not None:
            self._restore()
            self._restore = None

    async def sync_commands(self, guild_ids: Sequence[int] | None = None) -> int:
        """Register the slash commands: to ``guild_ids`` (default: config) instantly, else
        globally. Returns the number of commands registered."""
        ids = tuple(guild_ids if guild_ids is not None else self._config.guild_ids)
        return await sync_tree(self.client.tree, ids)

    def responder_for(self, chat: ChatRef) -> Responder:
        """Normal channel messages in ``chat`` (its thread when it has one), for jobs
        that outlive an interaction's 15-minute token."""
        return ChannelResponder(self._require_shared(), channel_id_of(chat), locale=self._locale)


def build(config: AppConfig, core: CoreHandler, host: Host) -> DiscordAdapter:
    """The Discord adapter for ``config.discord``, through the proxy the config chooses
    for Discord; see :class:`~adapters.base.BuildAdapter`."""
    if config.discord is None:
        raise ValueError("the Discord adapter needs a [discord] section")
    return DiscordAdapter(
        config.discord,
        core,
        locale=config.bot.locale,
        sleep=host.sleep,
        clock=host.clock,
        proxy=discord_proxy(config),
    )
