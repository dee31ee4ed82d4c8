"""/help: every command with its one-line description, generated from the registry."""

from __future__ import annotations

from typing import Final

from bot.core.context import CommandContext
from bot.core.dispatcher import CommandSpec


async def help_command(ctx: CommandContext) -> None:
    lines = [ctx.t("help.header"), ""]
    for spec in ctx.commands:
        command = f"{spec.name} {spec.usage()}".strip()
        lines.append(ctx.t("help.line", command=command, description=ctx.t(spec.description_key)))
    lines += ["", ctx.t("help.footer")]
    await ctx.reply("\n".join(lines))


COMMANDS: Final = (CommandSpec("help", help_command),)
