"""What commands share when they start a tracked job: the write-ahead row, the submit, the
status message.

:func:`start_job` stores the job (``submitting``, with a unique tag) *before* the paid
submit, stores the relay's task id the moment it answers, and only then posts the status
message, whose failure never drops the job. A lost answer leaves the row for the tracker
to resolve (:mod:`bot.jobs.submits`); a refusal closes it and the reason is shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from bot.core.context import BaseContext, CommandContext
from bot.core.credits import HOLD_KEY
from bot.core.errors import UserError
from bot.core.models import Attachment
from bot.jobs.kinds import KINDS
from bot.jobs.submits import (
    SUBMIT_GRACE_S,
    AbandonReason,
    answer_lost,
    new_submit_tag,
    post_status,
    submit_abandoned,
)
from bot.media import check_kind, data_uri, guess_content_type
from bot.relay.types import MjSubmit
from bot.store.base import DuplicateJobError, Job, JobState, JsonValue, NewUsage

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
_JOB_NUMBER_RE: Final = re.compile(r"^#?(\d{1,12})$")
_SUBMITTING: Final = frozenset({JobState.SUBMITTING})


@dataclass(frozen=True, slots=True)
class Accepted:
    """What a submit answered: the relay's task id (``needs_input``: Midjourney wants more
    input first, the job starts with the modal confirmation instead)."""

    task_id: str
    queue_position: int | None = None
    needs_input: bool = False


Submit = Callable[[str], Awaitable[Accepted]]
"""Calls the relay (paid, never retried) with the job's tag; Midjourney sends it as ``state``."""


def mj_accepted(submit: MjSubmit) -> Accepted:
    return Accepted(submit.task_id, submit.queue_position, submit.needs_modal)


def mj_submit(call: Callable[[str], Awaitable[MjSubmit]]) -> Submit:
    """A Midjourney submit (``call`` takes the tag as ``state``) as a :data:`Submit`."""

    async def submit(tag: str) -> Accepted:
        return mj_accepted(await call(tag))

    return submit


async def start_job(
    ctx: BaseContext,
    submit: Submit,
    *,
    kind: str,
    title: str,
    prompt: str = "",
    mode: str | None = None,
    version: str | None = None,
    extra: dict[str, JsonValue] | None = None,
    press_key: str | None = None,
) -> Job | None:
    """Store the job, submit it, track it; the tracked job, or None when there is none
    yet (the answer was lost: the tracker decides; or the task needs more input).

    ``press_key``: the button whose press this is; the job is recorded on its claim.
    The same relay task twice (Midjourney answers 21 "exists" to a repeated button) is
    not tracked twice: the user is told which job already has it. Relay errors other than
    a lost answer propagate (the dispatcher shows them) after the row is closed."""
    services = ctx.services
    store = services.store
    request: dict[str, JsonValue] = {
        "locale": ctx.locale,
        "private": ctx.chat.is_private,
        "title": title,
        "prompt": prompt,
        **(extra or {}),
    }
    # Frame links of uploads are Telegram file URLs, which carry the bot token: the
    # database keeps no secret.
    redact = services.redact
    request = {k: redact(v) if isinstance(v, str) else v for k, v in request.items()}
    hold = ctx.bill.hold
    if hold is not None:
        request[HOLD_KEY] = hold.hold  # the tracker settles it when the job finishes
    lost_after = services.wall_clock() + services.config.relay.timeout_s + SUBMIT_GRACE_S
    # With the row, the reservation records the job (one transaction): from now on the job
    # settles it (also if this process dies: the tracker resolves the row, and credits'
    # recovery leaves a running job alone).
    job = await store.create_job(
        kind=kind, platform=ctx.chat.platform, user_id=ctx.user.id, chat_id=ctx.chat.chat_id,
        thread_id=ctx.chat.thread_id, request=request, relay_mode=mode, relay_version=version,
        state=JobState.SUBMITTING, next_poll_at=lost_after, submit_tag=new_submit_tag(),
        submit_worker=services.instance, hold=hold.hold if hold is not None else None,
    )
    if hold is not None:
        ctx.bill.job_id = job.id
    if press_key is not None:
        await store.attach_button_job(press_key, job.id)
    assert job.submit_tag is not None
    try:
        accepted = await submit(job.submit_tag)
    except Exception as exc:
        if not answer_lost(exc):
            reason = redact(str(exc))[:500] or type(exc).__name__  # the relay may echo a key
            closed = await store.close_refused_submit(job.id, reason)
            if closed is not None:
                await _abandoned(ctx, closed, "refused")
            raise
        log.warning("job %s: the submit's answer was lost (%s); looking for it", job.id, exc)
        await store.update_job(job.id, only_from=_SUBMITTING, next_poll_at=services.wall_clock())
        services.jobs.ring()
        await ctx.reply(ctx.t("jobs.submit_checking", id=job.id))
        return None
    if accepted.needs_input and press_key is not None:
        await store.attach_button_job(press_key, None)  # still held while the user answers
    return await _accepted(ctx, job, accepted, request)


async def _abandoned(ctx: BaseContext, job: Job, reason: AbandonReason) -> None:
    """The row ends without a task to follow: its reservation goes back to the event, which
    the gate settles when the handler ends (refunded when it failed)."""
    if ctx.bill.job_id == job.id:
        ctx.bill.job_id = None
    await submit_abandoned(ctx.services, job, reason)


async def _accepted(
    ctx: BaseContext, job: Job, accepted: Accepted, request: dict[str, JsonValue]
) -> Job | None:
    services = ctx.services
    store = services.store
    if accepted.needs_input:
        if await store.discard_submitting_job(job.id):
            await _abandoned(ctx, job, "needs_input")
        return None
    # The stored request changes only with a queue position (else it is not written again).
    changed = ({**request, "queue_position": accepted.queue_position}
               if accepted.queue_position else None)
    # The first poll waits for the status message (post_status makes it due at once), or
    # comes one interval later without one.
    base = services.config.relay.poll_interval_s
    usage = NewUsage(ctx.chat.platform, ctx.user.id, ctx.chat.chat_id, kind=job.kind,
                     model=job.relay_mode or job.relay_version)
    try:
        # One transaction: the task id and its usage entry (the entry only if it applies).
        tracked = await store.accept_submit(
            job.id, relay_task_id=accepted.task_id, request=changed,
            next_poll_at=services.wall_clock() + base, usage=usage,
        )
    except DuplicateJobError:
        if await store.discard_submitting_job(job.id):
            await _abandoned(ctx, job, "duplicate")
        existing = await store.get_job_by_relay_id(job.kind, accepted.task_id)
        if existing is not None:
            await ctx.reply(ctx.t("jobs.already_tracked", id=existing.id))
        return existing
    if tracked is None:  # the tracker decided meanwhile (this submit took very long)
        return await store.get_job(job.id)
    services.metrics.jobs.labels(job.kind, tracked.state.value).inc()
    reply_to = ctx.invocation.message if isinstance(ctx, CommandContext) else None
    # No wake-up: the tracker's next tick asks about the job with every other one (a ring
    # here would only make it list due deliveries once more per submit).
    return await post_status(services, tracked, ctx.responder, reply_to)


async def image_data_uri(attachment: Attachment, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """The attachment as a ``data:image/...;base64,`` URI (what Midjourney submits take)."""
    data = await attachment.read(max_bytes)
    content_type = guess_content_type(data, attachment.filename, attachment.content_type)
    check_kind(content_type, ("image",))
    return data_uri(data, content_type)


async def find_own_job(ctx: BaseContext, reference: str) -> Job:
    """The user's job named by ``#12`` / ``12`` (our number) or a relay task id."""
    store = ctx.services.store
    reference = reference.strip()
    job: Job | None = None
    number = _JOB_NUMBER_RE.match(reference)
    if number is not None:
        job = await store.get_job(int(number.group(1)))
    if job is None:
        for kind in KINDS:
            job = await store.get_job_by_relay_id(kind, reference.lstrip("#"))
            if job is not None:
                break
    if job is None or job.platform != ctx.chat.platform or job.user_id != ctx.user.id:
        raise UserError("jobs.not_found", job=reference)
    return job
