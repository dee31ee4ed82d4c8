"""What commands share when they start a tracked job: status message, job row, wake-up.

A command submits to the relay first (paid, never retried), then calls :func:`track_job`,
which posts the status message, stores the job with that message's reference and rings
the tracker's bell. The tracker takes over from there.
"""

from __future__ import annotations

import re
from typing import Final

from bot.core.context import BaseContext, CommandContext
from bot.core.credits import HOLD_KEY
from bot.core.errors import UserError
from bot.core.models import Attachment, Reply
from bot.jobs.kinds import KINDS
from bot.jobs.outlets import encode_message_ref
from bot.jobs.status import draft_status_text
from bot.media import check_kind, data_uri, guess_content_type
from bot.relay.types import MjSubmit
from bot.store.base import DuplicateJobError, Job, JsonValue

MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
_JOB_NUMBER_RE: Final = re.compile(r"^#?(\d{1,12})$")


async def track_job(
    ctx: BaseContext,
    *,
    kind: str,
    relay_task_id: str,
    title: str,
    prompt: str = "",
    mode: str | None = None,
    version: str | None = None,
    queue_position: int | None = None,
    extra: dict[str, JsonValue] | None = None,
) -> Job:
    """Post the status message and store the job; returns the stored job.

    The same relay task twice (Midjourney answers 21 "exists" to a repeated button) is
    not tracked twice: the user is told which job already has it.
    """
    store = ctx.services.store
    existing = await store.get_job_by_relay_id(kind, relay_task_id)
    if existing is not None:
        await ctx.reply(ctx.t("jobs.already_tracked", id=existing.id))
        return existing
    request: dict[str, JsonValue] = {
        "locale": ctx.locale,
        "private": ctx.chat.is_private,
        "title": title,
        "prompt": prompt,
        **(extra or {}),
    }
    if queue_position:
        request["queue_position"] = queue_position
    # Frame links of uploads are Telegram file URLs, which carry the bot token: the
    # database keeps no secret.
    redact = ctx.services.redact
    request = {k: redact(v) if isinstance(v, str) else v for k, v in request.items()}
    hold = ctx.bill.hold
    if hold is not None:
        request[HOLD_KEY] = hold.hold  # the tracker settles it when the job finishes
    text = draft_status_text(kind, title, prompt, relay_task_id, ctx.locale, queue_position)
    reply_to = ctx.invocation.message if isinstance(ctx, CommandContext) else None
    ref = await ctx.responder.send(Reply(text, reply_to=reply_to))
    try:
        job = await store.create_job(
            kind=kind,
            platform=ctx.chat.platform,
            user_id=ctx.user.id,
            chat_id=ctx.chat.chat_id,
            thread_id=ctx.chat.thread_id,
            request=request,
            relay_task_id=relay_task_id,
            relay_mode=mode,
            relay_version=version,
            status_message_ref=encode_message_ref(ref),
        )
    except DuplicateJobError:
        raced = await store.get_job_by_relay_id(kind, relay_task_id)
        if raced is None:
            raise
        return raced
    if hold is not None:
        await store.attach_hold(hold.hold, job.id)
        ctx.bill.job_id = job.id
    ctx.services.metrics.jobs.labels(kind, job.state.value).inc()
    await store.record_usage(ctx.chat.platform, ctx.user.id, ctx.chat.chat_id, kind=kind,
                             model=mode or version)
    ctx.services.jobs.ring()
    return job


async def track_mj_submit(
    ctx: BaseContext, submit: MjSubmit, *, title: str, prompt: str, mode: str
) -> Job:
    """Track an accepted Midjourney submit (codes 1 / 21 / 22; 22 shows the queue position)."""
    return await track_job(ctx, kind="mj", relay_task_id=submit.task_id, title=title,
                           prompt=prompt, mode=mode, queue_position=submit.queue_position)


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
