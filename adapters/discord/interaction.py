"""Answering an interaction: a slash command, a button press or a modal submit.

Rules Discord imposes and users notice:

* an interaction must be acknowledged within 3 s. Commands are deferred ("thinking…")
  at once; button presses are acknowledged lazily (see :meth:`acknowledge`) because a
  modal can only be the *first* answer to a press;
* the first message of a command replaces the "thinking…" placeholder, later ones are
  follow-ups; every message can be edited later through the token that created it;
* the token lasts 15 minutes; after that messages go to the channel instead;
* private notices (``Reply.ephemeral``: errors, refused buttons) are shown only to the
  user who caused them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord

from adapters.discord.channel import ChannelResponder, Shared
from adapters.discord.components import AskModal
from adapters.discord.convert import discord_limits, jump_url
from adapters.discord.outgoing import Outgoing, compose, compose_edit, pieces_of
from bot.core.models import DeliveryError, MessageRef, PlatformLimits, Question, Reply
from bot.core.texts import t

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]
_INVALID_WEBHOOK_TOKEN = 50027  # the 15 minutes are over (checked before the clock says so)


class InteractionResponder:
    def __init__(
        self,
        interaction: Interaction,
        shared: Shared,
        *,
        locale: str,
        fallback: ChannelResponder,
        modal_timeout_s: float = 600.0,
    ) -> None:
        self._interaction = interaction
        self._shared = shared
        self._locale = locale
        self._fallback = fallback
        self._modal_timeout_s = modal_timeout_s
        self._lock = asyncio.Lock()
        self._placeholder = False  # a "thinking…" message waits to be replaced
        # message id → (the interaction that made it, whether it is that one's original)
        self._made_by: dict[str, tuple[Interaction, bool]] = {}
        self._limits = discord_limits(interaction.filesize_limit)

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    @property
    def _component(self) -> bool:
        return self._interaction.type in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        )

    async def acknowledge(self) -> None:
        """Defer unless answered already: "thinking…" for commands, silently for presses."""
        async with self._lock:
            await self._acknowledge_locked()

    async def _acknowledge_locked(self) -> None:
        interaction = self._interaction
        if interaction.response.is_done():
            return
        try:
            if self._component:
                await interaction.response.defer()
                if interaction.message is not None:
                    self._made_by[str(interaction.message.id)] = (interaction, True)
            else:
                await interaction.response.defer(thinking=True)
                self._placeholder = True
        except discord.HTTPException as exc:
            raise DeliveryError(f"Discord refused the acknowledgement: {exc}") from exc

    async def finish(self) -> None:
        """After the core is done: never leave "thinking…" or an unanswered press behind."""
        async with self._lock:
            try:
                await self._acknowledge_locked()
                if self._placeholder:
                    await self._interaction.delete_original_response()
                    self._placeholder = False
            except (DeliveryError, discord.HTTPException) as exc:
                log.info("could not tidy up an interaction: %s", exc)

    async def send(self, reply: Reply) -> MessageRef:
        ref: MessageRef | None = None
        for piece in pieces_of(reply):
            ref = await self._send_one(piece)
        assert ref is not None
        return ref

    async def _send_one(self, reply: Reply) -> MessageRef:
        async with self._lock:
            await self._acknowledge_locked()
            interaction = self._interaction
            if interaction.is_expired():
                return await self._fallback.send(reply)
            outgoing = compose(reply, self._limits.max_upload_bytes, self._locale)
            kwargs = outgoing.kwargs
            message: discord.Message
            try:
                if reply.ephemeral:
                    if self._placeholder:
                        # A follow-up would inherit the public placeholder's visibility.
                        await interaction.delete_original_response()
                        self._placeholder = False
                    message = await interaction.followup.send(ephemeral=True, wait=True, **kwargs)
                    original = False
                elif self._placeholder:
                    if "files" in kwargs:  # replacing "thinking…" is an edit
                        kwargs["attachments"] = kwargs.pop("files")
                    message = await interaction.edit_original_response(**kwargs)
                    self._placeholder = False
                    original = True
                else:
                    message = await interaction.followup.send(wait=True, **kwargs)
                    original = False
            except discord.HTTPException as exc:
                if exc.code == _INVALID_WEBHOOK_TOKEN:
                    return await self._fallback.send(reply)
                raise DeliveryError(f"Discord refused a message: {exc}") from exc
            self._made_by[str(message.id)] = (interaction, original)
            self._shared.shown.remember(str(message.id), outgoing.images)
            return MessageRef(str(message.channel.id), str(message.id))

    async def edit(self, ref: MessageRef, reply: Reply) -> None:
        first, *rest = pieces_of(reply)
        await self._shared.edit_turn(ref.message_id)
        shown = self._shared.shown
        outgoing = compose_edit(
            first, self._limits.max_upload_bytes, self._locale, shown.get(ref.message_id)
        )
        async with self._lock:
            done = await self._edit_locked(ref, outgoing)
        if done:
            shown.remember(ref.message_id, outgoing.images)
        else:
            await self._fallback.edit(ref, first)
        for piece in rest:
            await self.send(piece)

    async def _edit_locked(self, ref: MessageRef, outgoing: Outgoing) -> bool:
        """Edit through an interaction token; False when only the channel can do it."""
        kwargs = outgoing.kwargs
        interaction = self._interaction
        pressed = interaction.message
        try:
            if (
                self._component
                and not interaction.response.is_done()
                and pressed is not None
                and str(pressed.id) == ref.message_id
            ):
                await interaction.response.edit_message(**kwargs)
                self._made_by[ref.message_id] = (interaction, True)
                return True
            owner, original = self._made_by.get(ref.message_id, (None, False))
            if owner is None or owner.is_expired():
                return False
            if original:
                await owner.edit_original_response(**kwargs)
            else:
                await owner.followup.edit_message(int(ref.message_id), **kwargs)
            return True
        except discord.HTTPException as exc:
            if exc.code == _INVALID_WEBHOOK_TOKEN:
                return False
            raise DeliveryError(f"Discord refused an edit: {exc}") from exc

    async def ask(self, question: Question) -> str | None:
        """A modal when this answers a press not yet acknowledged (its submit comes back
        as a new interaction carrying the question's token); else ask in the channel."""
        async with self._lock:
            interaction = self._interaction
            pressed = interaction.type is discord.InteractionType.component
            if pressed and not interaction.response.is_done():
                modal = AskModal(
                    token=question.token,
                    title=t("discord.modal_title", self._locale),
                    label=t("discord.modal_label", self._locale),
                    prompt=question.prompt,
                    prefill=question.prefill,
                    timeout=self._modal_timeout_s,
                )
                try:
                    await interaction.response.send_modal(modal)
                except discord.HTTPException as exc:
                    raise DeliveryError(f"Discord refused a modal: {exc}") from exc
                return ""
        return await self._fallback.ask(question)

    def link_to(self, ref: MessageRef) -> str | None:
        # No guild: the interaction came from a direct message.
        return jump_url(str(self._interaction.guild_id or "@me"), ref)

    @asynccontextmanager
    async def typing(self) -> AsyncIterator[None]:
        # "thinking…" already shows that the bot is working.
        yield
