"""/admin: the bot's admins (``[access] admins``) change access and credits, read
statistics and look after everyone's jobs. Everyone else is refused by the gate.

Same words on every platform: ``/admin allow <who>``, ``deny <who>``, ``grant <who>
<credits>``, ``allowance <who> <daily>``, ``stats [days]``, ``jobs``, ``cancel <job>``,
``language <chat> <en|zh|auto>``. ``who`` is an identity (``telegram:42``,
``discord:9876``); for allow/deny it may be a chat or a Discord server. Every change goes
to the store and applies to the next event, in every bot process sharing it.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Final

from bot.commands.admin_chart import credits_chart_png
from bot.commands.jobs import cancel_job
from bot.config_community import CAPABILITIES, is_identity
from bot.core.context import CommandContext
from bot.core.credits import Credits, amount_text, day_start
from bot.core.dispatcher import CommandHandler, CommandSpec
from bot.core.errors import UserError
from bot.core.language import AUTO, LANGUAGE_CHOICES, LANGUAGE_KEY
from bot.core.models import OutgoingFile
from bot.core.options import OptionSpec
from bot.core.texts import has_text
from bot.jobs.records import JobRequest, short
from bot.jobs.status import job_title, state_line
from bot.store.base import SettingScope
from bot.store.community import LedgerDay

DEFAULT_DAYS: Final = 7
_TOP_USERS: Final = 5
_LISTED_JOBS: Final = 50


def _credits(ctx: CommandContext) -> Credits:
    services = ctx.services
    return Credits(services.config.credits, services.store, services.wall_clock)


def _who(ctx: CommandContext, name: str = "who") -> str:
    who = (ctx.text(name) or "").strip()
    if not is_identity(who) or ":role:" in who:
        raise UserError("admin.bad_identity", who=who)
    return who


async def allow(ctx: CommandContext) -> None:
    who = _who(ctx)
    await ctx.services.store.set_access_rule(who, "allow", at=ctx.services.wall_clock())
    await ctx.reply(ctx.t("admin.allowed", who=who))


async def deny(ctx: CommandContext) -> None:
    who = _who(ctx)
    await ctx.services.store.set_access_rule(who, "deny", at=ctx.services.wall_clock())
    await ctx.reply(ctx.t("admin.denied", who=who))


async def grant(ctx: CommandContext) -> None:
    who = _who(ctx)
    amount = ctx.number("credits") or 0.0
    await _credits(ctx).grant(who, amount)
    await ctx.reply(ctx.t("admin.granted", who=who, credits=amount_text(amount)))


async def allowance(ctx: CommandContext) -> None:
    who = _who(ctx)
    daily = ctx.number("daily") or 0.0
    await ctx.services.store.set_allowance(who, daily, at=ctx.services.wall_clock())
    await ctx.reply(ctx.t("admin.allowance_set", who=who, daily=amount_text(daily)))


async def stats(ctx: CommandContext) -> None:
    credits = _credits(ctx)
    days = ctx.integer("days") or DEFAULT_DAYS
    last = credits.today()
    first = last - days + 1
    rows = await ctx.services.store.ledger_days(first, last)
    if not rows:
        await ctx.reply(ctx.t("admin.stats_empty", days=days))
        return
    reset_hour = credits.config.reset_hour_utc
    labels = [_date(day, reset_hour) for day in range(first, last + 1)]
    await ctx.reply(
        "\n".join(_stats_lines(ctx, rows, days, reset_hour)),
        files=(OutgoingFile(
            await asyncio.to_thread(credits_chart_png, labels, _series(rows, first, last)),
            "credits.png", kind="image", content_type="image/png",
        ),),
    )


def _date(day: int, reset_hour: int) -> str:
    return time.strftime("%m-%d", time.gmtime(day_start(day, reset_hour)))


def _series(rows: list[LedgerDay], first: int, last: int) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {}
    for row in rows:
        values = series.setdefault(row.capability, [0.0] * (last - first + 1))
        values[row.day - first] += row.charged
    order = {name: index for index, name in enumerate(CAPABILITIES)}
    return dict(sorted(series.items(), key=lambda item: order.get(item[0], len(order))))


def _stats_lines(ctx: CommandContext, rows: list[LedgerDay], days: int,
                 reset_hour: int) -> list[str]:
    lines = [ctx.t("admin.stats_header", days=days)]
    by_day: dict[int, list[LedgerDay]] = defaultdict(list)
    for row in rows:
        by_day[row.day].append(row)
    for day, found in sorted(by_day.items()):
        lines.append(ctx.t("admin.stats_day", day=_date(day, reset_hour),
                           charged=amount_text(sum(r.charged for r in found)),
                           uses=sum(r.uses for r in found),
                           refunds=sum(r.refunds for r in found)))
        per_capability: dict[str, tuple[float, int]] = {}
        for row in found:
            charged, uses = per_capability.get(row.capability, (0.0, 0))
            per_capability[row.capability] = (charged + row.charged, uses + row.uses)
        for capability, (charged, uses) in sorted(per_capability.items()):
            key = f"capability.{capability}"  # a row of an older bot may name another one
            name = ctx.t(key) if has_text(key) else capability
            lines.append(ctx.t("admin.stats_capability", capability=name,
                               charged=amount_text(charged), uses=uses))
    users: dict[str, tuple[float, int]] = {}
    for row in rows:
        charged, uses = users.get(row.identity, (0.0, 0))
        users[row.identity] = (charged + row.charged, uses + row.uses)
    top = sorted(users.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    lines += ["", ctx.t("admin.stats_top")]
    lines += [ctx.t("admin.stats_user", who=who, charged=amount_text(charged), uses=uses)
              for who, (charged, uses) in top[:_TOP_USERS]]
    lines += ["", ctx.t("admin.stats_errors", count=sum(r.refunds for r in rows))]
    return lines


async def jobs(ctx: CommandContext) -> None:
    running = await ctx.services.store.list_active_jobs(limit=_LISTED_JOBS)
    if not running:
        await ctx.reply(ctx.t("admin.jobs_none"))
        return
    lines = [ctx.t("admin.jobs_header", count=len(running))]
    for job in sorted(running, key=lambda j: j.id):
        request = JobRequest.of(job)
        lines.append(ctx.t(
            "admin.jobs_line", id=job.id,
            title=job_title(job.kind, request.title, ctx.locale),
            who=f"{job.platform}:{job.user_id}", state=state_line(job, ctx.locale),
            prompt=short(request.prompt, 50) or "-",
        ))
    await ctx.reply("\n".join(lines))


async def cancel(ctx: CommandContext) -> None:
    number = ctx.integer("job") or 0
    job = await ctx.services.store.get_job(number)
    if job is None:
        raise UserError("admin.job_not_found", job=number)
    await cancel_job(ctx, job)


async def language(ctx: CommandContext) -> None:
    chat = _who(ctx, "chat")
    chosen = ctx.text("language") or AUTO
    platform, _, chat_id = chat.partition(":")
    store = ctx.services.store
    if chosen == AUTO:
        await store.delete_setting(SettingScope.CHAT, platform, chat_id, LANGUAGE_KEY)
    else:
        await store.set_setting(SettingScope.CHAT, platform, chat_id, LANGUAGE_KEY, chosen)
    await ctx.reply(ctx.t("admin.language_set", chat=chat, language=chosen))


def _sub(name: str, handler: CommandHandler, *options: OptionSpec) -> CommandSpec:
    return CommandSpec(name, handler, options=options, parent="admin")


_WHO: Final = OptionSpec("who", required=True, max_length=80)

COMMANDS: Final = (
    CommandSpec(
        "admin",
        stats,
        admin=True,
        subcommands=(
            _sub("allow", allow, _WHO),
            _sub("deny", deny, _WHO),
            _sub("grant", grant, _WHO,
                 OptionSpec("credits", type="float", required=True, minimum=0.01,
                            maximum=10**9)),
            _sub("allowance", allowance, _WHO,
                 OptionSpec("daily", type="float", required=True, minimum=0, maximum=10**9)),
            _sub("stats", stats, OptionSpec("days", type="int", minimum=1, maximum=90)),
            _sub("jobs", jobs),
            _sub("cancel", cancel, OptionSpec("job", type="int", required=True, minimum=1)),
            _sub("language", language, OptionSpec("chat", required=True, max_length=80),
                 OptionSpec("language", required=True, choices=LANGUAGE_CHOICES)),
        ),
    ),
)
