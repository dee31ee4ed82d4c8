"""One press, one action: a button that starts a paid job acts once.

The claim lives in the store (``Store.claim_button``, an atomic insert on the button's
key), not in process memory, so concurrent presses in several processes sharing the
database still make one relay call. Later presses are answered privately: "already
working on it" while the job runs, "done" (pointing at the result) once it succeeded. A
job that failed, was cancelled or timed out frees the button for a retry; so does a press
that started nothing (refused input, a cancelled question, an error).

A press that asks a question first (Extend, Custom Zoom, Vary (Region), remix) holds the
claim only while it asks: pressing again asks anew (a dismissed Discord form must be
reopenable), and the question's data carries the button's key under :data:`PRESS`. The
answer, which pays, claims the button again (:func:`claim_press`) before its relay call, so
answers to several questions of one button still start one job.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Final

from bot.core.context import BaseContext, ButtonContext
from bot.core.dispatcher import ButtonHandler
from bot.core.models import Reply
from bot.jobs.outlets import decode_message_ref
from bot.store.base import JobState

# A press that started nothing this long ago is free again: its process died, or its
# question was never answered.
PRESS_STALE_S: Final = 30 * 60
PRESS: Final = "press"  # the key of the pressed button, in a question's data

def once_per_button(handler: ButtonHandler) -> ButtonHandler:
    """Run ``handler`` for the first press of a button only (see the module docstring)."""

    @functools.wraps(handler)
    async def guarded(ctx: ButtonContext) -> None:
        store = ctx.services.store
        key = ctx.button.key
        claim = await store.claim_button(key, stale_after_s=PRESS_STALE_S)
        if not claim.won:
            await _answer_taken(ctx, claim.job_id)
            return
        try:
            await handler(ctx)
        finally:
            await store.release_button(key)  # only if no job was attached to the press

    return guarded


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


async def _answer_taken(ctx: BaseContext, job_id: int | None) -> None:
    job = await ctx.services.store.get_job(job_id) if job_id is not None else None
    if job is None:
        await ctx.responder.send(Reply(ctx.t("press.working"), ephemeral=True))
        return
    if (job.outcome or job.state) is JobState.SUCCEEDED:
        refs = job.delivered_refs or ((job.status_message_ref,) if job.status_message_ref else ())
        result = decode_message_ref(refs[0]) if refs else None
        await ctx.responder.send(
            Reply(ctx.t("press.done", id=job.id), reply_to=result, ephemeral=True)
        )
        return
    await ctx.responder.send(Reply(ctx.t("press.working_on", id=job.id), ephemeral=True))
