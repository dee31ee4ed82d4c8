"""One press, one action: a button that starts a paid job acts once.

The claim lives in the store (``Store.claim_button``, an atomic insert on the button's
key), not in process memory, so concurrent presses in several processes sharing the
database still make one relay call. Later presses are answered privately: "already
working on it" while the job runs, "done" once it succeeded, pointing at the progress
message or the result (see :func:`_answer_taken`), without reaching the credits: the
claim is taken before the reservation, so repeats reserve and refund nothing. A
job that failed, was cancelled or timed out frees the button for a retry; so does a press
that started nothing (refused credits or limits, refused input, a cancelled question, an
error).

A press that asks a question first (Extend, Custom Zoom, Vary (Region), remix) holds the
claim only while it asks: pressing again asks anew (a dismissed Discord form must be
reopenable), and the question's data carries the button's key under :data:`PRESS`. The
answer, which pays, claims the button again (:func:`claim_press`) before its relay call, so
answers to several questions of one button still start one job.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from bot.core.context import BaseContext, ButtonContext
from bot.core.dispatcher import Next
from bot.core.models import DeliveryError, MessageRef, Reply
from bot.jobs.outlets import decode_message_ref
from bot.store.base import Job, JobState

log = logging.getLogger(__name__)

# A press that started nothing this long ago is free again: its process died, or its
# question was never answered.
PRESS_STALE_S: Final = 30 * 60
PRESS: Final = "press"  # the key of the pressed button, in a question's data
# Where the platform has no link to a message, a press on a taken button gets a reply on
# the job's result (or progress) message to find it by: at most one such reply per job
# and message this often, however many presses, so a busy group is not flooded.
REPLY_WINDOW_S: Final = 10 * 60

async def once_per_button(ctx: ButtonContext, proceed: Next) -> None:
    """A ``ButtonRoute.claim``: go on (reserve, run the handler) for the first press of a
    button only (see the module docstring). The dispatcher takes it after the access checks
    and before the credits: a repeat is answered here and reserves nothing; a press the
    credits or limits refuse frees the button again, like any press that started nothing."""
    store = ctx.services.store
    key = ctx.button.key
    claim = await store.claim_button(key, stale_after_s=PRESS_STALE_S)
    if not claim.won:
        await _answer_taken(ctx, claim.job_id)
        return
    try:
        await proceed()
    finally:
        await store.release_button(key)  # only if no job was attached to the press


def press_key_of(data: Mapping[str, object]) -> str | None:
    """The button behind a question (``data[PRESS]``), if any."""
    key = data.get(PRESS)
    return key if isinstance(key, str) and key else None


async def claim_press(ctx: BaseContext, key: str | None) -> bool:
    """For an answer about to pay: take its button again. False (the presser told) when an
    earlier press of that button already started, or is starting, a job."""
    if key is None:
        return True
    claim = await ctx.services.store.claim_button(key, stale_after_s=PRESS_STALE_S)
    if not claim.won:
        await _answer_taken(ctx, claim.job_id)
    return claim.won


async def release_press(ctx: BaseContext, key: str | None) -> None:
    """The answer claimed the button but started no job: free it again."""
    if key is not None:
        await ctx.services.store.release_button(key)


@dataclass(frozen=True, slots=True)
class _Notice:
    """The catalogue keys of one "already…" answer (literal, so the catalogue check sees
    them): plain, with a link, pointing at a reply, and that reply."""

    plain: str
    link: str
    replied: str
    reply: str
    lease: str  # which reply this is, per job, in the store's leases


_DONE: Final = _Notice("press.done", "press.done_link", "press.done_replied",
                       "press.result_here", "result")
_WORKING: Final = _Notice("press.working_on", "press.working_link", "press.working_replied",
                          "press.progress_here", "progress")


async def _answer_taken(ctx: BaseContext, job_id: int | None) -> None:
    """Tell the presser privately that the job runs or is done, pointing at its progress
    message or result: a link where the platform has one (Discord), else, where a reply
    leads to the message it answers (Telegram), one reply on it per :data:`REPLY_WINDOW_S`
    (the toast says to look there), else the plain notice (the console)."""
    job = await ctx.services.store.get_job(job_id) if job_id is not None else None
    if job is None:  # the first press is still submitting: nothing to point at yet
        await ctx.responder.send(Reply(ctx.t("press.working"), ephemeral=True))
        return
    done = (job.outcome or job.state) is JobState.SUCCEEDED
    notice = _DONE if done else _WORKING
    target = _result_of(job) if done else decode_message_ref(job.status_message_ref)
    link = ctx.responder.link_to(target) if target is not None else None
    if link is not None:
        await ctx.responder.send(Reply(ctx.t(notice.link, id=job.id, link=link), ephemeral=True))
        return
    if target is None or not _can_reply_on(ctx, target):
        await ctx.responder.send(Reply(ctx.t(notice.plain, id=job.id), ephemeral=True))
        return
    await ctx.responder.send(Reply(ctx.t(notice.replied, id=job.id), ephemeral=True))
    # Held in the store, not in memory: fifty presses, in any processes, make one reply.
    lease = f"press-reply:{job.id}:{notice.lease}"
    if not await ctx.services.store.claim_lease(lease, secrets.token_hex(8), REPLY_WINDOW_S):
        return  # replied within the window already: the toast points at that reply
    try:
        await ctx.responder.send(Reply(ctx.t(notice.reply, id=job.id), reply_to=target))
    except DeliveryError as exc:
        log.info("job %s: could not reply on its message for a press: %s", job.id, exc)


def _result_of(job: Job) -> MessageRef | None:
    """The first result message; the status message while none is recorded (a delivery
    under way, or a job from before results were recorded)."""
    refs = job.delivered_refs or ((job.status_message_ref,) if job.status_message_ref else ())
    return decode_message_ref(refs[0]) if refs else None


def _can_reply_on(ctx: BaseContext, target: MessageRef) -> bool:
    """A reply here can quote ``target``: the platform's replies lead to the message they
    answer, and it is in this chat (or its thread)."""
    here = target.chat_id in (ctx.chat.chat_id, ctx.chat.thread_id)
    return here and ctx.responder.limits.replies_lead_to_original
