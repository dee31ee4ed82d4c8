"""Every command of the bot, one module per feature.

A feature module declares (never registers at import time)::

    COMMANDS: tuple[CommandSpec, ...]   # slash commands
    MESSAGES: tuple[MessageRoute, ...]  # plain-message handlers, optional
    BUTTONS: tuple[ButtonRoute, ...]    # button-press handlers by ButtonKey.kind, optional
    QUESTIONS: tuple[QuestionRoute, ...]  # continuations of ctx.ask by kind, optional

and is listed in ``FEATURES`` below; order there is the order of /help and of message
routes (so voice handling comes before text chat).
"""

from __future__ import annotations

from types import ModuleType

from bot.commands import (
    admin,
    audio,
    chat,
    completion,
    conversation,
    embeddings,
    help,
    images,
    midjourney,
    mj_buttons,
    music,
    settings,
    speech,
    usage,
    video,
    voice,
)
from bot.commands import jobs as job_commands
from bot.core.context import Services
from bot.core.dispatcher import (
    ButtonRoute,
    CommandSpec,
    Dispatcher,
    MessageRoute,
    QuestionRoute,
)

# voice comes first: its message route must see audio before text chat does.
FEATURES: tuple[ModuleType, ...] = (
    voice,
    chat,
    conversation,
    completion,
    images,
    embeddings,
    audio,
    speech,
    midjourney,
    mj_buttons,
    music,
    video,
    job_commands,
    usage,
    settings,
    admin,
    help,
)


def all_commands() -> tuple[CommandSpec, ...]:
    return tuple(spec for module in FEATURES for spec in getattr(module, "COMMANDS", ()))


def all_message_routes() -> tuple[MessageRoute, ...]:
    return tuple(route for module in FEATURES for route in getattr(module, "MESSAGES", ()))


def all_button_routes() -> tuple[ButtonRoute, ...]:
    return tuple(route for module in FEATURES for route in getattr(module, "BUTTONS", ()))


def all_question_routes() -> tuple[QuestionRoute, ...]:
    return tuple(route for module in FEATURES for route in getattr(module, "QUESTIONS", ()))


def build_dispatcher(services: Services) -> Dispatcher:
    return Dispatcher(
        services,
        commands=all_commands(),
        messages=all_message_routes(),
        buttons=all_button_routes(),
        questions=all_question_routes(),
    )
