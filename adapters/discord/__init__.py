"""Discord: slash commands, persistent buttons, modals and progress messages (discord.py 2.x)."""

from adapters.discord.adapter import DiscordAdapter, build
from adapters.discord.connect import DiscordStartError, discord_proxy, sync_commands

__all__ = ["DiscordAdapter", "DiscordStartError", "build", "discord_proxy", "sync_commands"]
