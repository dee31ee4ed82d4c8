"""/usage: the caller's credits today, with a line per capability used."""

from __future__ import annotations

from typing import Final

from bot.config_community import CAPABILITIES
from bot.core.access import user_identity
from bot.core.context import CommandContext
from bot.core.credits import Credits, amount_text
from bot.core.dispatcher import CommandSpec


async def usage_command(ctx: CommandContext) -> None:
    services = ctx.services
    credits = Credits(services.config.credits, services.store, services.wall_clock)
    balance = await credits.balance(user_identity(ctx.user, ctx.chat))
    totals = balance.totals
    lines: list[str] = []
    if not credits.config.enabled:
        lines.append(ctx.t("usage.disabled"))
    lines += [
        ctx.t("usage.header", reset=credits.reset_time_text()),
        ctx.t("usage.allowance", amount=amount_text(balance.allowance)),
        ctx.t("usage.extra", amount=amount_text(balance.extra)),
        ctx.t("usage.charged", amount=amount_text(balance.charged)),
        ctx.t("usage.reserved", amount=amount_text(balance.reserved)),
        ctx.t("usage.left", amount=amount_text(balance.left)),
        "",
    ]
    used = [c for c in CAPABILITIES if totals.uses.get(c) or totals.charged.get(c)
            or totals.reserved.get(c)]
    if not used:
        lines.append(ctx.t("usage.nothing"))
    for capability in used:
        lines.append(ctx.t(
            "usage.capability",
            capability=ctx.t(f"capability.{capability}"),
            uses=totals.uses.get(capability, 0),
            charged=amount_text(totals.charged.get(capability, 0.0)),
            reserved=amount_text(totals.reserved.get(capability, 0.0)),
        ))
    await ctx.reply("\n".join(lines))


COMMANDS: Final = (CommandSpec("usage", usage_command),)
