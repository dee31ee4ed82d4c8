"""The Discord adapter: connects, turns events into invocations, answers through responders.

Lifecycle (discord.py's advanced startup, so Discord shares the event loop with
Telegram and the job tracker)::

    adapter = build(config, core.dispatcher, Host())
    await adapter.start()          # login (REST), then the gateway in a task; returns when ready
    await adapter.sync_commands()  # only when asked (relaybot sync-commands / run --sync-commands)
    ...
    await adapter.stop()

Events:

* a slash command → deferred at once, then :class:`~bot.core.models.Invocation` with the
  typed options (attachments become core attachments read from the CDN on demand);
* a button (``rb:<key>``, any message, also from before a restart) →
  :class:`~bot.core.models.ButtonPress`; acknowledged after ``ack_after_s`` unless the
  core answered or opened a modal first;
* a message mentioning the bot or replying to it (or any DM) → a plain-message
  invocation answered in the channel, unless it answers a question the bot asked there.

With ``thread_per_conversation``, conversation commands (/chat) and chat messages in a
text channel open a thread first and are answered there (:mod:`adapters.discord.threads`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
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
from adapters.discord.convert import (
    PLATFORM,
    attachment_of,
    channel_id_of,
    chat_of,
    roles_of,
    strip_mention,
    user_of,
)
from adapters.discord.interaction import InteractionResponder
from adapters.discord.slash import build_commands, core_options, sync_tree
from adapters.discord.threads import ConversationThreads
from bot.config import AppConfig, DiscordConfig
from bot.core.context import Clock, Sleep
from bot.core.dispatcher import CommandSpec
from bot.core.models import (
    Attachment,
    ButtonPress,
    ChatRef,
    DeliveryError,
    Invocation,
    MessageRef,
    Preferences,
    Responder,
    TypedAnswer,
)
from bot.core.texts import normalise_locale
from bot.proxy import client_session

log = logging.getLogger(__name__)

class DiscordAdapter:
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

    @property
    def client(self) -> RelayDiscordClient:
        if self._client is None:
            raise RuntimeError("the Discord adapter is not started")
        return self._client

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

    def _require_threads(self) -> ConversationThreads:
        if self._threads is None:
            raise RuntimeError("the Discord adapter is not started")
        return self._threads

    def _require_shared(self) -> Shared:
        if self._shared is None:
            raise RuntimeError("the Discord adapter is not started")
        return self._shared

    # -- events ----------------------------------------------------------------------

    def _interaction_responder(
        self, interaction: discord.Interaction[Any], locale: str
    ) -> InteractionResponder:
        shared = self._require_shared()
        fallback = ChannelResponder(
            shared,
            interaction.channel_id or 0,
            locale=locale,
            asker=str(interaction.user.id),
        )
        return InteractionResponder(
            interaction,
            shared,
            locale=locale,
            fallback=fallback,
            modal_timeout_s=self._modal_timeout_s,
        )

    async def _on_command(
        self,
        interaction: discord.Interaction[Any],
        spec: CommandSpec,
        values: Mapping[str, object],
        subcommand: str | None,
    ) -> None:
        if not self.client.accepting:
            return
        self._track()
        user = user_of(interaction.user, interaction.locale)
        chat = _chat_of_interaction(interaction)
        preferences = await self._core.preferences_for(user, chat)
        responder = self._interaction_responder(interaction, preferences.locale)
        try:
            await responder.acknowledge()
        except DeliveryError as exc:
            log.warning("could not acknowledge /%s: %s", spec.name, exc)
            return
        invocation = Invocation(
            user=user,
            chat=chat,
            command=spec.name,
            subcommand=subcommand,
            options=core_options(values, self._attachment),
            roles=roles_of(interaction.user),
            preferences=preferences,
        )
        try:
            threads = self._require_threads()
            moved, answering = await threads.for_command(interaction, spec, invocation, responder)
            await self._core.handle(moved, answering)
        finally:
            await responder.finish()

    async def _on_press(self, interaction: discord.Interaction[Any], key: str) -> None:
        message = interaction.message
        if message is None:
            return
        self._track()
        user = user_of(interaction.user, interaction.locale)
        chat = _chat_of_interaction(interaction)
        preferences = await self._core.preferences_for(user, chat)
        responder = self._interaction_responder(interaction, preferences.locale)
        timer = asyncio.create_task(self._acknowledge_later(responder))
        press = ButtonPress(
            user=user,
            chat=chat,
            key=key,
            message=MessageRef(str(message.channel.id), str(message.id)),
            roles=roles_of(interaction.user),
            preferences=preferences,
        )
        try:
            await self._core.press(press, responder)
        finally:
            timer.cancel()
            await responder.finish()

    async def _on_answer(
        self, interaction: discord.Interaction[Any], token: str, text: str
    ) -> None:
        """A question modal submitted (perhaps opened before a restart)."""
        self._track()
        user = user_of(interaction.user, interaction.locale)
        chat = _chat_of_interaction(interaction)
        preferences = await self._core.preferences_for(user, chat)
        responder = self._interaction_responder(interaction, preferences.locale)
        timer = asyncio.create_task(self._acknowledge_later(responder))
        answer = TypedAnswer(user, chat, text, token=token, roles=roles_of(interaction.user),
                             preferences=preferences)
        try:
            await self._core.answer(answer, responder)
        finally:
            timer.cancel()
            await responder.finish()

    async def _acknowledge_later(self, responder: InteractionResponder) -> None:
        # A real-time platform deadline (3 s), hence asyncio.sleep and not the injected one.
        await asyncio.sleep(self._ack_after_s)
        try:
            await responder.acknowledge()
        except DeliveryError as exc:
            log.warning("could not acknowledge a button press: %s", exc)

    async def _on_message(self, message: discord.Message) -> None:
        client = self.client
        me = client.user
        if me is None or message.author.bot:
            return
        text = strip_mention(message.content, me.id)
        channel_id = message.channel.id
        author = str(message.author.id)
        chat = chat_of(message.channel)
        self._track()  # answering a question may run a paid continuation
        preferences: Preferences | None = None
        if text.strip():
            preferences = await self._core.preferences_for(user_of(message.author), chat)
            if await self._answered(message, chat, text, preferences):
                return
        mentioned = any(user.id == me.id for user in message.mentions)
        replied = _replies_to(message, me.id)
        if not (chat.is_private or mentioned or replied):
            return
        self._track()
        invocation = Invocation(
            user=user_of(message.author),
            chat=chat,
            text=text,
            attachments=tuple(self._attachment(a) for a in message.attachments),
            mentioned=mentioned,
            replied_to_bot=replied,
            message=MessageRef(str(channel_id), str(message.id)),
            roles=roles_of(message.author),
        )
        invocation, answer_in = await self._require_threads().for_message(message, invocation)
        if preferences is None or invocation.chat != chat:  # moved into a thread: its own
            preferences = await self._core.preferences_for(invocation.user, invocation.chat)
        responder = ChannelResponder(
            self._require_shared(), answer_in, locale=preferences.locale, asker=author
        )
        await self._core.handle(replace(invocation, preferences=preferences), responder)

    def _track(self) -> None:
        """Remember the running handler (discord.py runs each event in its own task) so
        :meth:`stop` can let it finish before the store and session close."""
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _attachment(self, attachment: discord.Attachment) -> Attachment:
        if self._session is None:
            raise RuntimeError("the Discord adapter is not started")
        return attachment_of(attachment, self._session)

    async def _answered(
        self, message: discord.Message, chat: ChatRef, text: str, preferences: Preferences
    ) -> bool:
        """Whether ``message`` answered its author's open question here (stored by the
        core, so also one asked before a restart): any message of the asker answers."""
        reference = message.reference
        user = user_of(message.author)
        responder = ChannelResponder(self._require_shared(), message.channel.id,
                                     locale=preferences.locale, asker=user.id)
        answer = TypedAnswer(
            user, chat, text, anywhere=True,
            replied_to=str(reference.message_id) if reference and reference.message_id else None,
            message=MessageRef(str(message.channel.id), str(message.id)),
            roles=roles_of(message.author),
            preferences=preferences,
        )
        return await self._core.answer(answer, responder)


def _chat_of_interaction(interaction: discord.Interaction[Any]) -> ChatRef:
    if interaction.channel is not None:
        return chat_of(interaction.channel)
    private = interaction.guild_id is None
    return ChatRef(PLATFORM, str(interaction.channel_id), "", is_private=private,
                   community_id=str(interaction.guild_id or ""))


def _replies_to(message: discord.Message, bot_id: int) -> bool:
    reference = message.reference
    resolved = reference.resolved if reference is not None else None
    return isinstance(resolved, discord.Message) and resolved.author.id == bot_id


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
