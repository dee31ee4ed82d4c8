"""/help: every command with its one-line description, generated from the registry."""

from __future__ import annotations

from typing import Final

from bot.core.context import CommandContext
from bot.core.dispatcher import CommandSpec
from bot.core.texts import has_text


async def help_command(ctx: CommandContext) -> None:
    lines = [ctx.t("help.header"), ""]
    for spec in ctx.commands:
        command = f"{spec.name} {spec.usage(ctx.locale)}".strip()
        lines.append(ctx.t("help.line", command=command, description=ctx.t(spec.description_key)))
    lines += ["", ctx.t("help.footer")]
    # How this platform writes options and files, where that is typed (console, Telegram).
    platform_key = f"help.platform.{ctx.chat.platform}"
    if has_text(platform_key):
        lines += ["", ctx.t(platform_key)]
    await ctx.reply("\n".join(lines))


COMMANDS: Final = (CommandSpec("help", help_command),)
