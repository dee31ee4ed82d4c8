"""Buttons and modals.

Buttons carry only the core's short key in their custom_id (``rb:<key>``) and are
:class:`discord.ui.DynamicItem` s: discord.py matches the template on any message, so
buttons keep working after a restart without re-registering views. A press is handed
to whatever the client is (:class:`PressReceiver`), which turns it into a
:class:`~bot.core.models.ButtonPress`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, Protocol, runtime_checkable

import discord

from bot.core.models import Button, ButtonStyle

CUSTOM_ID_PREFIX: Final = "rb:"
_MAX_LABEL: Final = 80
_MAX_MODAL_TITLE: Final = 45
_MAX_INPUT_LABEL: Final = 45
_MAX_INPUT: Final = 4000

_STYLES: Final[Mapping[ButtonStyle, discord.ButtonStyle]] = MappingProxyType({
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
})


@runtime_checkable
class PressReceiver(Protocol):
    async def receive_press(self, interaction: discord.Interaction[Any], key: str) -> None: ...


class KeyButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(CUSTOM_ID_PREFIX) + r"(?P<key>.+)",
):
    """A button whose custom_id is ``rb:<key>``; pressing it reports the key."""

    def __init__(
        self,
        key: str,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
    ) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:_MAX_LABEL] or None,
            style=style,
            custom_id=CUSTOM_ID_PREFIX + key,
        )
        super().__init__(button, row=row)
        self.key = key

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> KeyButton:
        label = getattr(item, "label", None) or ""
        style = getattr(item, "style", discord.ButtonStyle.secondary)
        return cls(match["key"], label, style)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        if isinstance(client, PressReceiver):
            await client.receive_press(interaction, self.key)


def view_for(rows: Sequence[Sequence[Button]]) -> discord.ui.View | None:
    """A view with the reply's buttons (at most 5 rows of 5), or None without buttons."""
    if not any(rows):
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(list(rows)[:5]):
        for button in list(row)[:5]:
            view.add_item(KeyButton(button.key, button.label, _STYLES[button.style], row=index))
    return view


ModalAnswer = tuple[str, discord.Interaction[Any]]


class AskModal(discord.ui.Modal):
    """One text field, pre-filled; the answer (and the submit interaction) land in a future."""

    def __init__(self, *, title: str, label: str, prompt: str, prefill: str, timeout: float):
        super().__init__(title=title[:_MAX_MODAL_TITLE], timeout=timeout)
        self.answer: asyncio.Future[ModalAnswer | None] = (
            asyncio.get_running_loop().create_future()
        )
        self.field: discord.ui.TextInput[AskModal] = discord.ui.TextInput(
            label=label[:_MAX_INPUT_LABEL],
            style=discord.TextStyle.paragraph,
            placeholder=prompt[:100] or None,
            default=prefill[:_MAX_INPUT] or None,
            required=False,
            max_length=_MAX_INPUT,
        )
        self.add_item(self.field)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        if not self.answer.done():
            self.answer.set_result((self.field.value, interaction))

    async def on_timeout(self) -> None:
        if not self.answer.done():
            self.answer.set_result(None)
