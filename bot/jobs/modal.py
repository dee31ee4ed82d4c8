"""Midjourney tasks the relay holds in MODAL while they run (remix accounts).

With remix on, a task may stop in status MODAL, waiting for ``/mj/submit/modal`` with the
(edited) prompt. The tracker then shows a button under the status message
(:data:`MJ_MODAL_PROMPT`, handled in ``bot.commands.mj_buttons``) and gives the job
:data:`MODAL_GRACE_S` to be answered and finish, instead of letting it time out while
nobody is asked; the answer puts the job back into polling (:func:`resume_modal_job`).
"""

from __future__ import annotations

from typing import Final

from bot.core.models import Button
from bot.core.texts import t
from bot.store.base import ButtonSpec, ButtonStore, Job, JobState, PolledJob
from bot.store.jobs import JobStore

MJ_MODAL_PROMPT: Final = "mj_modal_prompt"
MODAL_GRACE_S: Final = 30 * 60.0  # the question's 15 minutes, then the job's own run


async def modal_buttons(
    store: ButtonStore, job: Job, locale: str
) -> tuple[tuple[Button, ...], ...]:
    """The "send the prompt" button for a job waiting in MODAL (one key per job)."""
    label = t("mj.modal_button", locale)
    existing = [b for b in await store.buttons_for_job(job.id) if b.kind == MJ_MODAL_PROMPT]
    if existing:
        key = existing[0]
    else:
        [key] = await store.create_buttons(job.id, [ButtonSpec(MJ_MODAL_PROMPT, label=label)],
                                           message_ref=job.status_message_ref)
    return ((Button(label, key.key, style="primary", names=("prompt",)),),)


def modal_deadline(job: PolledJob, deadline: float, now: float) -> float:
    """The deadline of a job seen in MODAL: long enough for someone to answer."""
    if job.state is JobState.MODAL:
        return deadline
    return max(deadline, now + MODAL_GRACE_S)


async def resume_modal_job(store: JobStore, job_id: int, task_id: str) -> Job | None:
    """After ``/mj/submit/modal``: the job is polled again at once, under the task id the
    confirmation named. None when the job is no longer waiting (answered elsewhere)."""
    job = await store.get_job(job_id)
    if job is None:
        return None
    return await store.update_job(
        job_id, only_from={JobState.MODAL}, state=JobState.SUBMITTED, progress=0,
        relay_task_id=task_id if task_id and task_id != job.relay_task_id else None,
        next_poll_at=0.0,
    )
