"""Buttons and modals.

Buttons carry only the core's short key in their custom_id (``rb:<key>``) and are
:class:`discord.ui.DynamicItem` s: discord.py matches the template on any message, so
buttons keep working after a restart without re-registering views. A press is handed
to whatever the client is (:class:`PressReceiver`), which turns it into a
:class:`~bot.core.models.ButtonPress`.
"""

from __future__ import annotations

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


QUESTION_PREFIX: Final = "rq:"
_TEXT_INPUT: Final = 4


class AskModal(discord.ui.Modal):
    """One text field, pre-filled. Its custom_id is ``rq:<token>`` of the question it
    answers: the submit is read from the interaction itself (:func:`modal_answer`), so a
    modal opened before a restart still answers its question."""

    def __init__(
        self, *, token: str, title: str, label: str, prompt: str, prefill: str, timeout: float
    ) -> None:
        super().__init__(title=title[:_MAX_MODAL_TITLE], timeout=timeout,
                         custom_id=QUESTION_PREFIX + token)
        self.field: discord.ui.TextInput[AskModal] = discord.ui.TextInput(
            label=label[:_MAX_INPUT_LABEL],
            style=discord.TextStyle.paragraph,
            placeholder=prompt[:100] or None,
            default=prefill[:_MAX_INPUT] or None,
            required=False,
            max_length=_MAX_INPUT,
        )
        self.add_item(self.field)


def modal_answer(interaction: discord.Interaction[Any]) -> tuple[str, str] | None:
    """(token, text) of a submitted question modal; None for any other interaction."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    data: Any = interaction.data or {}
    custom_id = str(data.get("custom_id") or "")
    if not custom_id.startswith(QUESTION_PREFIX):
        return None
    values = [
        str(component.get("value") or "")
        for row in data.get("components") or ()
        for component in _inputs_of(row)
        if isinstance(component, dict) and component.get("type") == _TEXT_INPUT
    ]
    return custom_id[len(QUESTION_PREFIX):], values[0] if values else ""


def _inputs_of(row: Any) -> list[Any]:
    """The components of a modal row: an action row's list, or a label's one component."""
    if not isinstance(row, dict):
        return []
    if isinstance(row.get("component"), dict):
        return [row["component"]]
    inner = row.get("components")
    return list(inner) if isinstance(inner, list) else [row]
