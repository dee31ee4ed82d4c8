"""The discord.py client the adapter drives, and where it connects to.

:func:`point_at` is the one place that redirects discord.py to another REST base or
gateway (config ``api_base_url`` / ``gateway_url``: REST proxies and tests). discord.py
keeps both in class attributes, so the change is process-wide; it returns a function
that restores the previous values.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
import yarl
from discord import app_commands

from adapters.discord.components import KeyButton, modal_answer
from adapters.discord.convert import no_mentions
from bot.proxy import is_socks, socks_connector

Restore = Callable[[], None]


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
    ) -> None:
        """``proxy``: an http(s):// or socks5:// URL for REST and the gateway alike."""
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
        )
        self.tree: app_commands.CommandTree[RelayDiscordClient] = app_commands.CommandTree(self)
        for command in commands:
            self.tree.add_command(command)
        self._message_handler = on_message
        self._press_handler = on_press
        self._answer_handler = on_answer
        self.accepting = True  # False while stopping: new events are ignored

    async def setup_hook(self) -> None:
        self.add_dynamic_items(KeyButton)

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
