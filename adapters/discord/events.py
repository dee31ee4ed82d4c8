"""What the Discord adapter does with the events discord.py hands it.

* a slash command → deferred at once, then :class:`~bot.core.models.Invocation` with the
  typed options (attachments become core attachments read from the CDN on demand);
* a button (``rb:<key>``, any message, also from before a restart) →
  :class:`~bot.core.models.ButtonPress`; acknowledged after ``ack_after_s`` unless the
  core answered or opened a modal first;
* a question modal submitted → :class:`~bot.core.models.TypedAnswer`;
* a message mentioning the bot or replying to it (or any DM) → a plain-message
  invocation answered in the channel, unless it answers a question the bot asked there.

:class:`DiscordEvents` is the event half of :class:`~adapters.discord.adapter.DiscordAdapter`,
which connects, stops and fills in the running state declared here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import aiohttp
import discord

from adapters.base import CoreHandler
from adapters.discord.channel import ChannelResponder, Shared
from adapters.discord.client import RelayDiscordClient
from adapters.discord.convert import (
    PLATFORM,
    attachment_of,
    chat_of,
    roles_of,
    strip_mention,
    user_of,
)
from adapters.discord.interaction import InteractionResponder
from adapters.discord.slash import core_options
from adapters.discord.threads import ConversationThreads
from bot.core.dispatcher import CommandSpec
from bot.core.models import (
    Attachment,
    ButtonPress,
    ChatRef,
    DeliveryError,
    Invocation,
    MessageRef,
    Preferences,
    TypedAnswer,
    UserRef,
)

# The adapter's logger, as before these handlers had a module of their own.
log = logging.getLogger("adapters.discord.adapter")


class DiscordEvents:
    """Slash commands, button presses, modal answers and messages, each turned into the
    core's model and handed to the core with a responder that answers where it came from."""

    # The running state, set by DiscordAdapter (its __init__ and start).
    _core: CoreHandler
    _locale: str
    _ack_after_s: float
    _modal_timeout_s: float
    _client: RelayDiscordClient | None
    _shared: Shared | None
    _threads: ConversationThreads | None
    _session: aiohttp.ClientSession | None
    _tasks: set[asyncio.Task[None]]

    @property
    def client(self) -> RelayDiscordClient:
        if self._client is None:
            raise RuntimeError("the Discord adapter is not started")
        return self._client

    def _require_threads(self) -> ConversationThreads:
        if self._threads is None:
            raise RuntimeError("the Discord adapter is not started")
        return self._threads

    def _require_shared(self) -> Shared:
        if self._shared is None:
            raise RuntimeError("the Discord adapter is not started")
        return self._shared

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

    async def _begin(self, interaction: discord.Interaction[Any]) -> tuple[
        UserRef, ChatRef, Preferences, InteractionResponder
    ]:
        """Who acts where, their preferences (one read), and the responder in their language:
        how every interaction (command, press, modal answer) starts."""
        user = user_of(interaction.user, interaction.locale)
        chat = _chat_of_interaction(interaction)
        preferences = await self._core.preferences_for(user, chat)
        return user, chat, preferences, self._interaction_responder(interaction,
                                                                    preferences.locale)

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
        user, chat, preferences, responder = await self._begin(interaction)
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
        user, chat, preferences, responder = await self._begin(interaction)
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
        user, chat, preferences, responder = await self._begin(interaction)
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
