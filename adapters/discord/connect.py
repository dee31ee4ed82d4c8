"""Connecting to Discord: the proxy it goes through, start failures explained in one line,
and registering slash commands without a gateway connection (``relaybot sync-commands``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import aiohttp
import discord

from adapters.base import PlatformStartError
from adapters.discord.client import RelayDiscordClient, point_at
from adapters.discord.slash import build_commands, sync_tree
from bot.config import AppConfig, DiscordConfig
from bot.core.dispatcher import CommandSpec
from bot.proxy import effective_proxy

DISCORD_API: Final = "https://discord.com/api/v10"  # where discord.py connects by default


class DiscordStartError(PlatformStartError):
    """Discord could not be reached or refused the bot (bad token, no network...)."""


@contextlib.contextmanager
def explained_start_failures() -> Iterator[None]:
    """Turn discord.py's and the network's start failures into one operator message."""
    try:
        yield
    except discord.LoginFailure:
        raise DiscordStartError(
            "Discord refused the bot token: check discord.token / discord.token_env"
        ) from None
    except discord.HTTPException as exc:
        raise DiscordStartError(
            f"Discord answered HTTP {exc.status} while connecting: {exc.text or exc}"
        ) from None
    except (aiohttp.ClientError, OSError) as exc:
        raise DiscordStartError(
            f"cannot reach Discord ({type(exc).__name__}); check the network and "
            "discord.api_base_url / discord.gateway_url"
        ) from None


def discord_proxy(config: AppConfig) -> str | None:
    """The proxy URL every Discord connection goes through (None: direct)."""
    target = (config.discord.api_base_url if config.discord else None) or DISCORD_API
    return effective_proxy(
        config.proxy_for("discord"), trust_env=config.network.trust_env, target_url=target
    )


def _no_choices(name: str) -> Sequence[str]:
    return ()


async def sync_commands(
    config: DiscordConfig,
    commands: Sequence[CommandSpec],
    *,
    guild_ids: Sequence[int] | None = None,
    locale: str = "en",
    proxy: str | None = None,
) -> int:
    """Register the slash commands without connecting to the gateway (``relaybot
    sync-commands``): to ``guild_ids`` (default: config) instantly, else globally.

    Returns the number of commands registered."""
    restore = point_at(config.api_base_url, config.gateway_url)
    client = RelayDiscordClient(
        build_commands(commands, _not_running, _no_choices, locale), proxy=proxy
    )
    try:
        with explained_start_failures():
            await client.login(config.token.reveal())
            ids = tuple(guild_ids if guild_ids is not None else config.guild_ids)
            return await sync_tree(client.tree, ids)
    finally:
        await client.close()
        restore()


async def _not_running(
    interaction: discord.Interaction[Any],
    spec: CommandSpec,
    values: Mapping[str, object],
    subcommand: str | None,
) -> None:
    raise RuntimeError("commands only run in a started DiscordAdapter")
