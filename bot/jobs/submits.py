"""Submits that survive crashes: the write-ahead row's life between "stored" and "tracked".

A command stores its job (``JobState.SUBMITTING``, with a unique tag) *before* the paid
submit, so a relay task is never known only in memory. What happens next:

* the relay answers with a task id: the row becomes SUBMITTED with it at once, then the
  status message is sent (:func:`post_status`; its failure never drops the job);
* the relay refuses: the row is closed as failed (``Store.close_refused_submit``) and the
  command shows the reason;
* the answer is lost (timeout, dropped connection, a crash): the row stays SUBMITTING and
  the tracker resolves it (:func:`resolve_lost_submit`): a Midjourney task carries the tag
  in ``state``, so it is looked for in the relay's task list; found, the job goes on as if
  the answer had come; otherwise the job fails with "the relay did not confirm it", which
  the delivery tells the user plainly (it may have started; /jobs shows the job).

:func:`submit_abandoned` is called whenever a row ends without a relay task: the one
place where anything reserved for the job (credits) is given back.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from typing import Final, Literal

from bot.core.context import Services
from bot.core.models import DeliveryError, MessageRef, Reply, Responder
from bot.jobs.kinds.midjourney import NAME as MJ
from bot.jobs.outlets import encode_message_ref
from bot.jobs.records import UNCONFIRMED
from bot.jobs.status import status_text
from bot.relay.errors import (
    RelayConnectionError,
    RelayDecodeError,
    RelayError,
    RelayTimeoutError,
)
from bot.relay.types import MjTask
from bot.store.base import DuplicateJobError, Job, JobState, NewUsage

log = logging.getLogger(__name__)

SUBMIT_GRACE_S: Final = 30.0  # beyond relay.timeout_s before a submit counts as lost
_LIST_PAGE: Final = 100
AbandonReason = Literal["refused", "unconfirmed", "duplicate", "needs_input"]


def new_submit_tag() -> str:
    """Unique per submit; sent as Midjourney ``state`` and echoed on its task."""
    return f"relaybot-{secrets.token_hex(10)}"


def answer_lost(exc: BaseException) -> bool:
    """Whether a failed submit may nevertheless have created a task at the relay."""
    if isinstance(exc, RelayConnectionError):
        return exc.sent
    if isinstance(exc, RelayTimeoutError | RelayDecodeError):
        return True
    return not isinstance(exc, RelayError)  # a bug after sending: look before giving up


async def submit_abandoned(services: Services, job: Job, reason: AbandonReason) -> None:
    """A write-ahead job ended without a relay task it could follow.

    ``refused``: the relay said no (nothing charged); ``duplicate`` / ``needs_input``: the
    answer named a task another job follows, or one waiting for more input (its own job
    comes later); ``unconfirmed``: no answer and no task found (it may have started).
    Hook for reservations keyed by job id (credits); today it only logs."""
    log.info("job %s ended before the relay task was tracked (%s)", job.id, reason)


async def post_status(
    services: Services, job: Job, responder: Responder | None, reply_to: MessageRef | None
) -> Job:
    """Send the job's first status message and store its reference; never raises.

    Without one (Telegram refused it, the chat is gone) the job still runs and its result
    is delivered into the chat on its own."""
    if responder is None:
        return job
    try:
        ref = await responder.send(Reply(status_text(job), reply_to=reply_to))
    except DeliveryError as exc:
        log.warning("no status message for job %s (it goes on without): %s", job.id, exc)
        return job
    except Exception:  # the job is stored and must go on whatever the adapter did (logged)
        log.exception("no status message for job %s (it goes on without)", job.id)
        return job
    # Polled from now on: until the status message exists the tracker leaves the job be, so a
    # quick result cannot overtake it (and leave it saying "queued" for ever). The row is
    # not read back: the caller holds it, and only these two fields change.
    encoded = encode_message_ref(ref)
    now = services.wall_clock()
    if not await services.store.set_status_message(job.id, encoded, next_poll_at=now):
        return job
    return replace(job, status_message_ref=encoded, next_poll_at=now)


async def resolve_lost_submit(services: Services, job: Job, responder: Responder | None) -> None:
    """Decide a SUBMITTING job whose answer never came (the tracker calls this)."""
    store = services.store
    task = await _find_tagged_task(services, job) if job.kind == MJ and job.submit_tag else None
    if task is not None:
        usage = NewUsage(job.platform, job.user_id, job.chat_id, kind=job.kind,
                         model=job.relay_mode)
        try:
            found = await store.accept_submit(
                job.id, relay_task_id=task.id, next_poll_at=services.wall_clock(), usage=usage
            )
        except DuplicateJobError:
            found = None  # another job follows that task already
        if found is not None:
            log.info("job %s: lost submit answer found by its tag (task %s)", job.id, task.id)
            services.metrics.jobs.labels(found.kind, found.state.value).inc()
            if found.status_message_ref is None:
                await post_status(services, found, responder, None)
            services.jobs.ring()
            return
    failed = await store.update_job(job.id, only_from={JobState.SUBMITTING},
                                    state=JobState.FAILED, error=UNCONFIRMED)
    if failed is not None:
        log.warning("job %s: the relay never confirmed its submit", job.id)
        services.metrics.jobs.labels(failed.kind, failed.state.value).inc()
        await submit_abandoned(services, failed, "unconfirmed")


async def _find_tagged_task(services: Services, job: Job) -> MjTask | None:
    """The relay's task carrying ``job.submit_tag`` in ``state``: the list of recent tasks,
    else the paged query filtered by state, whichever the relay serves."""
    mj = services.relay.mj
    tag = job.submit_tag
    try:
        for task in await mj.list_tasks():
            if task.state == tag:
                return task
    except RelayError as exc:
        log.info("the relay's task list is not available: %s", exc)
    try:
        page = await mj.query(state=tag, page_size=_LIST_PAGE)
    except RelayError as exc:
        log.info("the relay's task query is not available: %s", exc)
        return None
    return next((task for task in page.tasks if task.state == tag), None)
