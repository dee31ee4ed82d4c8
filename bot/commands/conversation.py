"""/model, /persona and /reset: the settings of one conversation (per chat and thread)."""

from __future__ import annotations

import re
from typing import Final

from bot.core.context import BaseContext, ButtonContext, CommandContext
from bot.core.delivery import button_rows
from bot.core.dispatcher import ButtonRoute, CommandSpec
from bot.core.errors import UserError
from bot.core.models import Button, Reply
from bot.core.options import OptionSpec
from bot.lenient import as_dict, opt_str
from bot.store.base import ButtonSpec, Conversation

_GIZMO_RE: Final = re.compile(r"^gpt-4-gizmo-[A-Za-z0-9_-]+$")
_PERSONA_OFF: Final = frozenset({"off", "none", "default", "reset", "-"})
MAX_PERSONA_CHARS: Final = 4000
MODEL_BUTTON: Final = "chat_model"
USER_MODEL_KEY: Final = "chat_model"  # the user's default chat model, set by /settings


async def current_conversation(ctx: BaseContext) -> Conversation:
    chat = ctx.chat
    return await ctx.services.store.active_conversation(chat.platform, chat.chat_id, chat.thread_id)


async def effective_chat_model(ctx: BaseContext, conversation: Conversation) -> str:
    """The conversation's model, else the user's default (/settings), else the config's."""
    if conversation.model:
        return conversation.model
    default = ctx.user_settings.get(USER_MODEL_KEY)
    if isinstance(default, str) and default in ctx.services.config.models.chat_choices:
        return default
    return ctx.services.config.models.chat


def resolve_chat_model(ctx: BaseContext, name: str) -> str:
    """The configured model spelled ``name`` (any case), or a GPT (``gpt-4-gizmo-<id>``).

    Raises :class:`UserError` naming the models that are allowed."""
    choices = ctx.services.config.models.chat_choices
    by_fold = {c.casefold(): c for c in choices}
    if name.casefold() in by_fold:
        return by_fold[name.casefold()]
    if _GIZMO_RE.match(name):
        return name
    raise UserError("model.unknown", value=name, allowed=", ".join(choices))


async def model_command(ctx: CommandContext) -> None:
    conversation = await current_conversation(ctx)
    name = ctx.text("name")
    if name is None:
        await _show_models(ctx, conversation)
        return
    model = resolve_chat_model(ctx, name)
    await ctx.services.store.set_conversation_model(conversation.id, model)
    await ctx.reply(ctx.t("model.set", model=model))


async def _show_models(ctx: CommandContext, conversation: Conversation) -> None:
    choices = ctx.services.config.models.chat_choices
    specs = [
        ButtonSpec(kind=MODEL_BUTTON, label=m, payload={"model": m, "owner": ctx.user.id})
        for m in choices
    ]
    keys = await ctx.services.store.create_buttons(None, specs)
    buttons = [Button(label=k.label, key=k.key) for k in keys]
    current = await effective_chat_model(ctx, conversation)
    text = ctx.t("model.current", model=current, choices=", ".join(choices))
    await ctx.reply(text, buttons=button_rows(buttons, ctx.responder.limits, per_row=2))


async def model_button(ctx: ButtonContext) -> None:
    name = opt_str(as_dict(ctx.button.payload).get("model"))
    if name is None:
        raise UserError("generic.button_expired")
    model = resolve_chat_model(ctx, name)
    conversation = await current_conversation(ctx)
    await ctx.services.store.set_conversation_model(conversation.id, model)
    await ctx.responder.edit(ctx.press.message, Reply(ctx.t("model.set", model=model)))


async def persona_command(ctx: CommandContext) -> None:
    conversation = await current_conversation(ctx)
    text = ctx.text("text")
    store = ctx.services.store
    if text is None:
        if conversation.persona:
            await ctx.reply(ctx.t("persona.current", persona=conversation.persona))
        else:
            await ctx.reply(ctx.t("persona.none"))
    elif text.casefold() in _PERSONA_OFF:
        await store.set_conversation_persona(conversation.id, None)
        await ctx.reply(ctx.t("persona.cleared"))
    else:
        await store.set_conversation_persona(conversation.id, text)
        await ctx.reply(ctx.t("persona.set"))


async def reset_command(ctx: CommandContext) -> None:
    chat = ctx.chat
    await ctx.services.store.reset_conversation(chat.platform, chat.chat_id, chat.thread_id)
    await ctx.reply(ctx.t("reset.done"))


COMMANDS: Final = (
    CommandSpec(
        "model",
        model_command,
        options=(OptionSpec("name", max_length=100, suggest_from="chat_models"),),
        main=("name",),
        capability="chat",
    ),
    CommandSpec(
        "persona",
        persona_command,
        options=(OptionSpec("text", max_length=MAX_PERSONA_CHARS),),
        main=("text",),
        capability="chat",
    ),
    CommandSpec("reset", reset_command, capability="chat"),
)

BUTTONS: Final = (ButtonRoute(MODEL_BUTTON, model_button, capability="chat"),)
