"""/jobs, /queue, /cancel, /seed: looking after one's long-running jobs.

``/jobs`` lists the user's newest jobs (active ones with their progress) with a Cancel
button on each Midjourney job still waiting in the queue. ``/queue`` shows the relay's
Midjourney queue; prompts are shown only for the user's own jobs, since the queue holds
everyone's tasks under the bot's key. ``/cancel`` and ``/seed`` take a job number
(``12`` or ``#12``) or a relay task id.
"""

from __future__ import annotations

from typing import Final

from bot.commands.job_start import find_own_job
from bot.core.context import BaseContext, ButtonContext, CommandContext
from bot.core.delivery import button_rows
from bot.core.dispatcher import ButtonRoute, CommandSpec
from bot.core.errors import UserError
from bot.core.models import Button
from bot.core.options import OptionSpec
from bot.jobs.kinds.base import Observation, relay_words
from bot.jobs.kinds.midjourney import NAME as MJ
from bot.jobs.kinds.midjourney import observe
from bot.jobs.polling import changes
from bot.jobs.records import JobRequest, short
from bot.jobs.status import job_title, state_line
from bot.store.base import ACTIVE_STATES, ButtonSpec, Job, JobState, JobUpdate

JOB_CANCEL: Final = "job_cancel"
_LISTED: Final = 15
_CANCELLABLE: Final = frozenset({JobState.SUBMITTED})


def _line(ctx: BaseContext, job: Job) -> str:
    request = JobRequest.of(job)
    title = job_title(job.kind, request.title, ctx.locale)
    prompt = short(request.prompt, 60)
    state = state_line(job, ctx.locale)
    return ctx.t("jobs.line", id=job.id, title=title, prompt=prompt or "-", state=state)


async def list_jobs(ctx: CommandContext) -> None:
    jobs = await ctx.services.store.list_jobs_for_owner(ctx.chat.platform, ctx.user.id,
                                                       limit=_LISTED)
    if not jobs:
        await ctx.reply(ctx.t("jobs.none"))
        return
    active = [job for job in jobs if job.state in ACTIVE_STATES]
    recent = [job for job in jobs if job.state not in ACTIVE_STATES]
    lines: list[str] = []
    if active:
        lines += [ctx.t("jobs.active_header"), *(_line(ctx, job) for job in active), ""]
    if recent:
        lines += [ctx.t("jobs.recent_header"), *(_line(ctx, job) for job in recent)]
    queued = [job for job in active if job.kind == MJ and job.state in _CANCELLABLE]
    buttons: list[Button] = []
    for job in queued:
        label = ctx.t("jobs.cancel_button", id=job.id)
        (key,) = await ctx.services.store.create_buttons(job.id, [ButtonSpec(JOB_CANCEL, label)])
        buttons.append(Button(label, key.key, style="danger"))
    await ctx.reply("\n".join(lines).strip(),
                    buttons=button_rows(buttons, ctx.responder.limits, per_row=3))


async def cancel_job(ctx: BaseContext, job: Job) -> None:
    """Ask the relay to cancel a queued Midjourney job (the tracker reports the outcome)."""
    if job.kind != MJ:
        raise UserError("jobs.cancel_unsupported")
    if job.state not in ACTIVE_STATES or not job.relay_task_id:
        raise UserError("jobs.cancel_finished", id=job.id)
    await ctx.services.relay.mj.cancel(job.relay_task_id)
    # The tracker sees CANCEL when it next polls the job (at the next tick where the job is
    # due) and tells the chat then. The ring does not bring that poll forward (it names no
    # relay task): it only wakes this process's tracker between ticks to start due deliveries.
    ctx.services.jobs.ring()
    await ctx.reply(ctx.t("jobs.cancel_done", id=job.id))


async def cancel(ctx: CommandContext) -> None:
    await cancel_job(ctx, await find_own_job(ctx, ctx.text("job") or ""))


async def press_cancel(ctx: ButtonContext) -> None:
    job = await ctx.services.store.get_job(ctx.button.job_id) if ctx.button.job_id else None
    if job is None:
        raise UserError("generic.button_expired")
    await cancel_job(ctx, job)


async def seed(ctx: CommandContext) -> None:
    job = await find_own_job(ctx, ctx.text("job") or "")
    if job.kind != MJ or not job.relay_task_id:
        raise UserError("jobs.seed_unsupported")
    if (job.outcome or job.state) is not JobState.SUCCEEDED:
        raise UserError("jobs.seed_not_done", id=job.id)
    value = await ctx.services.relay.mj.image_seed(job.relay_task_id)
    await ctx.reply(ctx.t("jobs.seed", id=job.id, seed=value))


async def queue(ctx: CommandContext) -> None:
    tasks = await ctx.services.relay.mj.queue()
    if not tasks:
        await ctx.reply(ctx.t("queue.empty"))
        return
    store = ctx.services.store
    lines = [ctx.t("queue.header", count=len(tasks))]
    for task in tasks:
        action = ctx.t(f"queue.action.{task.action.value.lower()}")
        status = relay_words(task.status.value, ctx.locale)
        line = ctx.t("queue.line", id=task.id, action=action, status=status,
                     progress=task.progress)
        mine = await store.get_job_by_relay_id(MJ, task.id)
        if mine is not None:
            await _keep(ctx, mine, observe(task))
        if mine is not None and mine.user_id == ctx.user.id and mine.platform == ctx.chat.platform:
            line += ctx.t("queue.yours", job=mine.id, prompt=short(task.prompt, 60))
        lines.append(line)
    await ctx.reply("\n".join(lines))


async def _keep(ctx: BaseContext, job: Job, obs: Observation) -> None:
    """/queue has just asked the relay: store what it said about a running job, so /jobs and
    the status message show the same percentage as the queue."""
    if job.state in ACTIVE_STATES and obs.state in ACTIVE_STATES and changes(job, obs):
        await ctx.services.store.apply_job_updates([JobUpdate(
            job.id, obs.state, obs.progress, obs.status_text, preview_url=obs.preview_url)])


_JOB = OptionSpec("job", required=True, max_length=40)

COMMANDS = (
    CommandSpec("jobs", list_jobs),
    CommandSpec("queue", queue, capability="midjourney"),
    CommandSpec("cancel", cancel, options=(_JOB,), main=("job",)),
    CommandSpec("seed", seed, options=(_JOB,), main=("job",), capability="midjourney"),
)
BUTTONS = (ButtonRoute(JOB_CANCEL, press_cancel),)
