"""Answering in a channel with normal messages, and what both responders share.

Channel messages have no 15-minute token, so long jobs keep their progress here
(:meth:`DiscordAdapter.responder_for`), and mentions of the bot are answered here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import discord

from adapters.discord.convert import discord_limits, jump_url, link_guild
from adapters.discord.outgoing import ShownImages, compose, compose_edit, pieces_of
from bot.core.context import Clock, Sleep
from bot.core.models import DeliveryError, MessageRef, PlatformLimits, Question, Reply
from bot.core.texts import t

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Shared:
    """What every responder of one adapter uses."""

    client: discord.Client
    clock: Clock
    sleep: Sleep
    edit_interval_s: float = 1.0
    shown: ShownImages = field(default_factory=ShownImages)
    _last_edit: dict[str, float] = field(default_factory=dict)

    async def edit_turn(self, message_id: str) -> None:
        """Wait so a message is edited at most once per ``edit_interval_s``."""
        last = self._last_edit.get(message_id)
        if last is not None:
            remaining = last + self.edit_interval_s - self.clock()
            if remaining > 0:
                await self.sleep(remaining)
        self._last_edit[message_id] = self.clock()
        if len(self._last_edit) > 1000:  # keep the memory bounded on a busy bot
            oldest = sorted(self._last_edit, key=self._last_edit.__getitem__)[:500]
            for key in oldest:
                del self._last_edit[key]


class ChannelResponder:
    """Sends normal channel messages; asks questions as "reply to this message"."""

    def __init__(
        self,
        shared: Shared,
        channel_id: int,
        *,
        locale: str,
        asker: str | None = None,
    ) -> None:
        self._shared = shared
        self._channel_id = channel_id
        self._locale = locale
        self._asker = asker
        self._limits = discord_limits()

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    def _channel(self) -> discord.PartialMessageable:
        return self._shared.client.get_partial_messageable(self._channel_id)

    async def send(self, reply: Reply) -> MessageRef:
        ref: MessageRef | None = None
        for piece in pieces_of(reply):
            outgoing = compose(piece, self._limits.max_upload_bytes, self._locale)
            kwargs = outgoing.kwargs
            # A reply must be in the same channel (a mention that opened a thread is not).
            if piece.reply_to is not None and piece.reply_to.chat_id == str(self._channel_id):
                kwargs["reference"] = discord.MessageReference(
                    message_id=int(piece.reply_to.message_id),
                    channel_id=int(piece.reply_to.chat_id),
                    fail_if_not_exists=False,
                )
            try:
                message = await self._channel().send(**kwargs)
            except discord.HTTPException as exc:
                raise DeliveryError(f"Discord refused a message: {exc}") from exc
            ref = MessageRef(str(message.channel.id), str(message.id))
            self._shared.shown.remember(ref.message_id, outgoing.images)
        assert ref is not None
        return ref

    async def edit(self, ref: MessageRef, reply: Reply) -> None:
        first, *rest = pieces_of(reply)
        await self._shared.edit_turn(ref.message_id)
        channel = self._shared.client.get_partial_messageable(int(ref.chat_id))
        shown = self._shared.shown
        outgoing = compose_edit(
            first, self._limits.max_upload_bytes, self._locale, shown.get(ref.message_id)
        )
        try:
            await channel.get_partial_message(int(ref.message_id)).edit(**outgoing.kwargs)
        except discord.HTTPException as exc:
            raise DeliveryError(f"Discord refused an edit: {exc}") from exc
        shown.remember(ref.message_id, outgoing.images)
        for piece in rest:
            await self.send(piece)

    async def ask(self, question: Question) -> str | None:
        """A message asking for a reply; the asker's next message here answers."""
        if self._asker is None:
            return None  # nobody in particular to ask (a job's progress message)
        asked = await self.send(
            Reply(ask_prompt(question.prompt, question.prefill, self._locale))
        )
        return asked.message_id

    def link_to(self, ref: MessageRef) -> str | None:
        guild = link_guild(self._shared.client, ref.chat_id)
        return jump_url(guild, ref) if guild is not None else None

    @asynccontextmanager
    async def typing(self) -> AsyncIterator[None]:
        indicator = self._channel().typing()
        try:
            await indicator.__aenter__()
        except discord.HTTPException as exc:
            log.info("could not show typing in %s: %s", self._channel_id, exc)
            yield
            return
        try:
            yield
        finally:
            with contextlib.suppress(discord.HTTPException):
                await indicator.__aexit__(None, None, None)


def ask_prompt(prompt: str, prefill: str, locale: str) -> str:
    if prefill:
        return t("discord.ask_reply_prefill", locale, prompt=prompt, prefill=prefill)
    return t("discord.ask_reply", locale, prompt=prompt)
