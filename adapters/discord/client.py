"""The discord.py client the adapter drives, and where it connects to.

:func:`point_at` is the one place that redirects discord.py to another REST base or
gateway (config ``api_base_url`` / ``gateway_url``: REST proxies and tests). discord.py
keeps both in class attributes, so the change is process-wide; it returns a function
that restores the previous values.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import discord
import yarl
from discord import app_commands

from adapters.discord.components import KeyButton, modal_answer
from adapters.discord.convert import no_mentions
from bot.proxy import is_socks, socks_connector

Restore = Callable[[], None]
Sleep = Callable[[float], Awaitable[None]]
# Discord accepts one IDENTIFY per 5 s (per max_concurrency bucket): shards after the
# first, and reconnects, wait this long (discord.py's own default, on our sleep).
IDENTIFY_INTERVAL_S: Final = 5.0


def point_at(api_base_url: str | None, gateway_url: str | None) -> Restore:
    """Make discord.py use ``api_base_url`` (…/api/v10) and ``gateway_url`` (ws://…)."""
    route = discord.http.Route
    socket = discord.gateway.DiscordWebSocket
    previous_base = route.BASE
    previous_gateway = socket.DEFAULT_GATEWAY
    if api_base_url:
        route.BASE = api_base_url.rstrip("/")
    if gateway_url:
        socket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    def restore() -> None:
        route.BASE = previous_base
        socket.DEFAULT_GATEWAY = previous_gateway

    return restore


MessageHandler = Callable[[discord.Message], Awaitable[None]]
PressHandler = Callable[[discord.Interaction[Any], str], Awaitable[None]]
AnswerHandler = Callable[[discord.Interaction[Any], str, str], Awaitable[None]]


class RelayDiscordClient(discord.Client):
    """A client with the generated slash commands and the persistent button type.

    Default intents only: the bot reads messages that mention it or reply to it, which
    Discord delivers with their content without the privileged message-content intent.
    """

    def __init__(
        self,
        commands: Sequence[app_commands.Command[Any, ..., None] | app_commands.Group],
        *,
        on_message: MessageHandler | None = None,
        on_press: PressHandler | None = None,
        on_answer: AnswerHandler | None = None,
        guild_ready_timeout_s: float = 2.0,
        proxy: str | None = None,
        identify_sleep: Sleep = asyncio.sleep,
        **shards: Any,
    ) -> None:
        """``proxy``: an http(s):// or socks5:// URL for REST and the gateway alike.
        ``identify_sleep`` spaces IDENTIFYs (tests: virtual time); ``shards`` go to
        :class:`discord.AutoShardedClient` (see :class:`ShardedRelayDiscordClient`)."""
        # relaybot never joins voice: discord.py's start-up warnings about the voice
        # libraries (PyNaCl, davey) would only alarm operators.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        # discord.py hands ``proxy`` to aiohttp, which speaks only HTTP proxies; a SOCKS
        # proxy comes in as the session's connector, which the websocket shares.
        routing: dict[str, Any] = (
            {"connector": socks_connector(proxy)} if is_socks(proxy) and proxy is not None
            else {"proxy": proxy}
        )
        super().__init__(
            intents=discord.Intents.default(),
            allowed_mentions=no_mentions(),
            guild_ready_timeout=guild_ready_timeout_s,
            **routing,
            **shards,
        )
        self.tree: app_commands.CommandTree[RelayDiscordClient] = app_commands.CommandTree(self)
        for command in commands:
            self.tree.add_command(command)
        self._message_handler = on_message
        self._press_handler = on_press
        self._answer_handler = on_answer
        self.accepting = True  # False while stopping: new events are ignored
        self._identify_sleep = identify_sleep
        self.connected = asyncio.Event()  # set once the gateway (every shard) is READY

    async def setup_hook(self) -> None:
        self.add_dynamic_items(KeyButton)

    async def on_connect(self) -> None:
        self.connected.set()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial:
            await self._identify_sleep(IDENTIFY_INTERVAL_S)

    async def on_message(self, message: discord.Message) -> None:
        if self._message_handler is not None and self.accepting:
            await self._message_handler(message)

    async def receive_press(self, interaction: discord.Interaction[Any], key: str) -> None:
        if self._press_handler is not None and self.accepting:
            await self._press_handler(interaction, key)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        # Question modals are read here, not by a stored Modal object: one opened before
        # a restart is unknown to discord.py's modal store but still answers.
        answered = modal_answer(interaction)
        if answered is not None and self._answer_handler is not None and self.accepting:
            await self._answer_handler(interaction, *answered)


class ShardedRelayDiscordClient(RelayDiscordClient, discord.AutoShardedClient):
    """The same client running a range of the bot's gateway shards in this process
    (``[discord] shard_ids`` of ``shard_count``); Discord sends each guild's events to
    the one shard ``(guild_id >> 22) % shard_count``, DMs to shard 0."""

    def __init__(
        self,
        commands: Sequence[app_commands.Command[Any, ..., None] | app_commands.Group],
        *,
        shard_ids: Sequence[int] | None,
        shard_count: int,
        **options: Any,
    ) -> None:
        ids = list(shard_ids) if shard_ids else None
        super().__init__(commands, shard_ids=ids, shard_count=shard_count, **options)
        self.expected_shards = frozenset(ids if ids is not None else range(shard_count))
        self._shards_up: set[int] = set()

    async def on_connect(self) -> None:
        """Per shard: readiness waits for all of them (:meth:`on_shard_connect`)."""

    async def on_shard_connect(self, shard_id: int) -> None:
        self._shards_up.add(shard_id)
        if self._shards_up >= self.expected_shards:
            self.connected.set()
