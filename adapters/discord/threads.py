"""A thread per conversation (config ``[discord] thread_per_conversation``).

When enabled, conversation commands (``CommandSpec.conversation``: /chat) and messages
addressed to the bot in a normal text channel open a public thread named after the
prompt, and the conversation goes on there (a thread is its own conversation, see
:func:`~adapters.discord.convert.chat_of`). In a thread or a DM the bot answers in
place. If Discord refuses the thread (missing permission...), the bot answers in place
too.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any, Final

import discord

from adapters.discord.channel import ChannelResponder, Shared
from adapters.discord.convert import PLATFORM
from adapters.discord.interaction import InteractionResponder
from bot.core.dispatcher import CommandSpec
from bot.core.models import ChatRef, DeliveryError, Invocation, Reply, Responder
from bot.core.texts import t

log = logging.getLogger(__name__)

MAX_THREAD_NAME: Final = 100
ARCHIVE_AFTER_MINUTES: Final = 1440  # a day without messages
_MENTION: Final = re.compile(r"<(?:@[!&]?|#)\d+>")

def opens_threads(channel: object) -> bool:
    """Whether a conversation started in ``channel`` gets its own thread: only normal
    guild text channels (threads and DMs answer in place)."""
    return getattr(channel, "type", None) is discord.ChannelType.text


def thread_name(prompt: str, fallback: str) -> str:
    """One line of at most 100 characters, without raw mention tokens."""
    name = " ".join(_MENTION.sub(" ", prompt).split()) or " ".join(fallback.split())
    name = name or "relaybot"
    return name if len(name) <= MAX_THREAD_NAME else name[: MAX_THREAD_NAME - 1] + "…"


async def open_thread(
    client: discord.Client, channel_id: int, name: str, *, message_id: int | None = None
) -> int | None:
    """A new public thread in ``channel_id`` (on ``message_id`` when given); its id, or
    None when Discord refuses."""
    try:
        if message_id is None:
            created = await client.http.start_thread_without_message(
                channel_id,
                name=name,
                auto_archive_duration=ARCHIVE_AFTER_MINUTES,
                type=discord.ChannelType.public_thread.value,
            )
        else:
            created = await client.http.start_thread_with_message(
                channel_id, message_id, name=name, auto_archive_duration=ARCHIVE_AFTER_MINUTES
            )
    except discord.HTTPException as exc:
        log.warning("could not open a thread in %s, answering in place: %s", channel_id, exc)
        return None
    return int(created["id"])


class ConversationThreads:
    """Moves new conversations into threads when ``enabled``; otherwise answers in place."""

    def __init__(self, shared: Shared, *, enabled: bool, locale: str) -> None:
        self._shared = shared
        self._enabled = enabled
        self._locale = locale

    async def for_command(
        self,
        interaction: discord.Interaction[Any],
        spec: CommandSpec,
        invocation: Invocation,
        responder: InteractionResponder,
    ) -> tuple[Invocation, Responder]:
        """A conversation command (/chat) in a text channel: open a thread named after its
        main text, let the "thinking…" message point to it, and answer there. Other
        commands, threads and DMs: unchanged."""
        channel_id = interaction.channel_id
        if not (
            self._enabled
            and spec.conversation
            and channel_id is not None
            and opens_threads(interaction.channel)
        ):
            return invocation, responder
        prompt = invocation.options.get(spec.main[0]) if spec.main else None
        thread_id = await self._open(
            channel_id, prompt if isinstance(prompt, str) else "", invocation
        )
        if thread_id is None:
            return invocation, responder
        opened = t("discord.thread_opened", self._locale, thread=f"<#{thread_id}>")
        try:
            await responder.send(Reply(opened))
        except DeliveryError as exc:
            log.info("could not point /%s to its thread: %s", spec.name, exc)
        in_thread = ChannelResponder(
            self._shared, thread_id, locale=self._locale, asker=invocation.user.id
        )
        return self._moved(invocation, channel_id, thread_id), in_thread

    async def for_message(
        self, message: discord.Message, invocation: Invocation
    ) -> tuple[Invocation, int]:
        """A message addressed to the bot: the invocation and the channel to answer in
        (a new thread on that message for chat in a text channel)."""
        channel_id = message.channel.id
        words = invocation.text
        # A conversation, not a command: "/…" and attachments alone are answered in place.
        conversation = bool(words) and not words.startswith("/")
        if not (self._enabled and conversation and opens_threads(message.channel)):
            return invocation, channel_id
        thread_id = await self._open(channel_id, words, invocation, message_id=message.id)
        if thread_id is None:
            return invocation, channel_id
        return self._moved(invocation, channel_id, thread_id), thread_id

    async def _open(
        self, channel_id: int, prompt: str, invocation: Invocation, message_id: int | None = None
    ) -> int | None:
        fallback = t("discord.thread_name", self._locale, user=invocation.user.name)
        name = thread_name(prompt, fallback)
        return await open_thread(self._shared.client, channel_id, name, message_id=message_id)

    @staticmethod
    def _moved(invocation: Invocation, channel_id: int, thread_id: int) -> Invocation:
        chat = ChatRef(PLATFORM, str(channel_id), str(thread_id), is_private=False)
        return dataclasses.replace(invocation, chat=chat)
