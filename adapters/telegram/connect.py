"""Connecting to the Telegram Bot API: the HTTP client (direct or through the proxy), the
PTB application built on it, start failures explained in one line, and the command menu
(``setMyCommands``) registered where it changed."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any, Final

from telegram import Bot, BotCommand
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application
from telegram.request import BaseRequest, HTTPXRequest

from adapters.base import PlatformStartError
from adapters.telegram.transport import AiohttpRequest
from bot.config import TelegramConfig
from bot.core.dispatcher import CommandSpec
from bot.core.texts import LANGUAGES, t

_MAX_COMMANDS: Final = 100
_MAX_DESCRIPTION: Final = 256
PtbApp = Application[Any, Any, Any, Any, Any, Any]


def bot_api_request(proxy: str | None, *, pool_size: int) -> BaseRequest:
    """The Bot API's HTTP client: direct on aiohttp (a third of the CPU per call, see
    :mod:`adapters.telegram.transport`), through ``proxy`` on PTB's own httpx request.

    Neither reads HTTPS_PROXY by itself; the environment is already weighed in ``proxy``
    (``[network] trust_env``), so it is not consulted a second time."""
    if proxy is None:
        return AiohttpRequest(pool_size=pool_size)
    return HTTPXRequest(
        connection_pool_size=pool_size, proxy=proxy, httpx_kwargs={"trust_env": False}
    )


def ptb_application(config: TelegramConfig, *, proxy: str | None, polls: bool) -> PtbApp:
    """The PTB application for ``config``; ``polls``: whether it gets PTB's updater (not
    when updates come by webhook or another process receives them)."""
    # PTB 22 warns on every flood-control error unless opted in to timedelta periods;
    # pacing.retry_after_seconds reads both forms.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    builder = (
        Application.builder()
        .token(config.token.reveal())
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .request(bot_api_request(proxy, pool_size=256))
        .get_updates_request(bot_api_request(proxy, pool_size=1))
    )
    if not polls:
        builder = builder.updater(None)
    return builder.build()


async def initialize_or_explain(app: PtbApp) -> None:
    """``app.initialize()`` (it logs the bot in), its failure turned into one operator
    message."""
    try:
        await app.initialize()
    except (InvalidToken, NetworkError) as exc:
        await app.bot.shutdown()  # initialize() leaves the HTTP clients open on failure
        raise _start_failure(exc) from None


def _start_failure(exc: TelegramError) -> PlatformStartError:
    # PTB's InvalidToken message quotes the token: never pass it on.
    if isinstance(exc, InvalidToken):
        return PlatformStartError(
            "Telegram refused the bot token: check telegram.token / telegram.token_env"
        )
    return PlatformStartError(
        f"cannot reach the Telegram Bot API ({type(exc).__name__}); check the network and "
        "telegram.base_url"
    )


async def register_commands(
    bot: Bot, commands: Iterable[CommandSpec], locale: str, *, log: logging.Logger
) -> None:
    """setMyCommands once per language, only where the list changed.

    The list without a language code (everyone else) is in the default ``locale``; each
    catalogue language also gets its own list (``language_code`` ``en``, ``zh``), so
    a Chinese app shows Chinese descriptions whatever the default is. A refusal is only
    logged (on ``log``, the adapter's logger): the bot works without a menu."""
    languages: list[tuple[str | None, str]] = [(None, locale)]
    languages += [(language, language) for language in LANGUAGES]
    for language_code, language_locale in languages:
        wanted = [
            BotCommand(spec.name, t(spec.description_key, language_locale)[:_MAX_DESCRIPTION])
            for spec in list(commands)[:_MAX_COMMANDS]
        ]
        try:
            current = await bot.get_my_commands(language_code=language_code)
            if [(c.command, c.description) for c in current] != [
                (c.command, c.description) for c in wanted
            ]:
                await bot.set_my_commands(wanted, language_code=language_code)
        except TelegramError as exc:
            log.warning("could not register the bot's commands with Telegram (%s): %s",
                        language_code or "default", exc)
            return
