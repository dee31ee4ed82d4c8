"""The status message of a job: what it says, and editing it no faster than allowed.

Each job has one status message, sent by the command that started it. The tracker edits it
when what it would show changes (state, percentage, preview image), at most once per
``bot.progress_interval_s`` per message, and one last time when the job ends. When the
platform replaces the message instead of editing it, the job remembers the new one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.core.models import Button, DeliveryError, MessageRef, OutgoingFile, Reply, Responder
from bot.core.render import progress_bar
from bot.core.texts import t
from bot.jobs.kinds import KINDS
from bot.jobs.kinds.base import relay_words
from bot.jobs.outlets import encode_message_ref
from bot.jobs.records import JobRequest, failure_reason, short
from bot.store.base import Job, JobState, PolledJob
from bot.store.jobs import JobStore

log = logging.getLogger(__name__)

_STATE_KEYS: Mapping[JobState, str] = {
    JobState.SUBMITTING: "jobs.state.submitting",
    JobState.MODAL: "jobs.state.modal",
    JobState.SUCCEEDED: "jobs.state.done",
    JobState.CANCELLED: "jobs.state.cancelled",
    JobState.TIMED_OUT: "jobs.state.timed_out",
}


def job_title(kind: str, title: str, locale: str) -> str:
    """The title line; an unregistered kind (the tracker fails its jobs) shows its name."""
    found = KINDS.get(kind)
    if found is None:
        return t("jobs.title.other", locale, kind=kind, action=title or "?")
    return found.title(title, locale)


def state_line(job: Job, locale: str, state: JobState | None = None) -> str:
    """One line saying where the job is (``state`` overrides the stored one)."""
    state = state or job.outcome or job.state
    if state is JobState.SUBMITTED:
        position = JobRequest.of(job).queue_position
        if position and job.progress == 0:
            return t("jobs.state.queued_at", locale, position=position)
        return t("jobs.state.queued", locale)
    if state is JobState.RUNNING:
        bar = progress_bar(job.progress)
        found = KINDS.get(job.kind)
        detail = found.progress_detail(job, locale) if found is not None else ""
        return f"{bar} · {detail}" if detail else bar
    if state is JobState.FAILED:
        return t("jobs.state.failed", locale, reason=failure_reason(job, locale, 200))
    key = _STATE_KEYS.get(state)
    return t(key, locale) if key else relay_words(job.progress_text or "", locale)


def status_text(job: Job, state: JobState | None = None) -> str:
    """The whole status message for ``job``."""
    request = JobRequest.of(job)
    lines = [job_title(job.kind, request.title, request.locale)]
    if request.prompt:
        lines.append(short(request.prompt))
    lines.append(state_line(job, request.locale, state))
    lines.append(t("jobs.ids", request.locale, id=job.id, relay_id=job.relay_task_id or "?"))
    return "\n".join(lines)


StatusBasis = tuple[object, ...]


def _version(job: PolledJob) -> tuple[object, ...]:
    """What a tick's poll view tells of a job: when equal, the job was not written since."""
    return (job.state, job.progress, job.progress_text, job.preview_url, job.relay_task_id,
            job.status_message_ref, job.updated_at)


def status_basis(job: Job) -> StatusBasis:
    """Every field of ``job`` that :func:`status_text` reads (the request and result as
    a whole): equal bases render equal texts, so an unchanged job is not rendered again."""
    return (job.kind, job.state, job.outcome, job.progress, job.progress_text, job.error,
            job.id, job.relay_task_id, job.request, job.result)


@dataclass(slots=True)
class _Shown:
    text: str
    preview_url: str | None
    basis: StatusBasis


PreviewFetcher = Callable[[str], Awaitable[OutgoingFile | None]]


class StatusEditor:
    """Remembers what each status message shows and when it was last edited.

    A platform may answer an edit by replacing the message (Telegram sends a photo in
    place of a text status); the new reference is stored on the job at once, so later
    edits, the final one and the result's reply go to the new message, also after a
    restart.
    """

    def __init__(self, clock: Callable[[], float], interval_s: float, store: JobStore) -> None:
        self._clock = clock
        self._interval_s = interval_s
        self._store = store
        self._shown: dict[int, _Shown] = {}
        self._edited_at: dict[str, float] = {}
        # Jobs whose message was up to date when last looked at, as they were then.
        self._settled: dict[int, tuple[object, ...]] = {}

    def settle(self, job: Job) -> None:
        """``job``'s message shows what it should (edited, or nothing to show)."""
        self._settled[job.id] = _version(job)

    def is_settled(self, job: PolledJob) -> bool:
        """Whether the message of ``job`` was settled and the job not written since: then
        it needs no edit, and the tracker need not read the whole job."""
        return self._settled.get(job.id) == _version(job)

    def wait_needed(self, job: Job) -> float:
        """Seconds until this job's status message may be edited again."""
        last = self._edited_at.get(job.status_message_ref or "")
        return 0.0 if last is None else max(0.0, last + self._interval_s - self._clock())

    def pending_text(self, job: Job) -> str | None:
        """The text the status message should show when it is out of date, else None
        (built only when the job changed since the last edit: the tracker asks for every
        polled job on every tick, and most polls find nothing new)."""
        shown = self._shown.get(job.id)
        if shown is None:
            # The command's own first message already says "queued".
            if job.state is JobState.SUBMITTED and job.progress == 0:
                return None
            return status_text(job)
        new_preview = job.preview_url is not None and shown.preview_url != job.preview_url
        basis = status_basis(job)
        if basis == shown.basis and not new_preview:
            return None
        text = status_text(job)
        if shown.text != text or new_preview:
            return text
        shown.basis = basis  # a change the message does not show (e.g. a relay word)
        return None

    async def show_progress(
        self,
        job: Job,
        responder: Responder,
        ref: MessageRef,
        fetch_preview: PreviewFetcher,
        *,
        buttons: tuple[tuple[Button, ...], ...] = (),
        text: str | None = None,
    ) -> None:
        """Edit the status message if it is out of date and the throttle allows
        (``buttons``: what the job needs pressed now, e.g. to answer a MODAL; ``text``:
        what :meth:`pending_text` just said for this job, if the caller asked)."""
        if self.wait_needed(job) > 0:
            return
        if text is None:
            text = self.pending_text(job)
            if text is None:
                return
        shown = self._shown.get(job.id)
        files: tuple[OutgoingFile, ...] = ()
        if job.preview_url and (shown is None or shown.preview_url != job.preview_url):
            preview = await fetch_preview(job.preview_url)
            files = (preview,) if preview is not None else ()
        if not files and shown is not None and shown.text == text:
            # Only the preview link changed (new-api adds ?rand= each poll) and it could
            # not be fetched: an edit would show exactly what is already there.
            shown.preview_url = job.preview_url
            shown.basis = status_basis(job)
            return
        await self._edit(job, responder, ref, Reply(text, files=files, buttons=buttons))
        self._shown[job.id] = _Shown(text, job.preview_url, status_basis(job))

    async def show_final(self, job: Job, responder: Responder, ref: MessageRef) -> None:
        """The last edit, after the result went out (caller waits for the throttle)."""
        current = await self._edit(job, responder, ref, Reply(status_text(job)))
        self.forget(job.id, current)

    async def _edit(self, job: Job, responder: Responder, ref: MessageRef, reply: Reply) -> str:
        """Edit (or have the platform replace) the message; the job's stored ref after it."""
        # A replaced message must reach the store even if the tracker is being stopped:
        # the old message is gone, and the job has to point at the new one after a restart.
        editing = asyncio.ensure_future(self._edit_and_keep(job, responder, ref, reply))
        try:
            return await asyncio.shield(editing)
        except asyncio.CancelledError:
            await asyncio.wait({editing})
            if not editing.cancelled() and (error := editing.exception()) is not None:
                log.error("status message of job %s not kept: %s", job.id, error)
            raise

    async def _edit_and_keep(
        self, job: Job, responder: Responder, ref: MessageRef, reply: Reply
    ) -> str:
        stored = job.status_message_ref or ""
        self._edited_at[stored] = self._clock()
        try:
            replacement = await responder.edit(ref, reply)
        except DeliveryError as exc:
            log.info("could not edit the status message of job %s: %s", job.id, exc)
            return stored
        if replacement is None or replacement == ref:
            return stored
        current = encode_message_ref(replacement)
        if not await self._store.replace_status_message(
            job.id, expected=job.status_message_ref, new=current
        ):
            # Another tracker replaced the same message first: its replacement is the one
            # the job points at, ours is a stray copy that is never edited again.
            latest = await self._store.get_job(job.id)
            log.warning("job %s: status message replaced by another tracker first", job.id)
            return (latest.status_message_ref if latest else None) or stored
        # The new message was just sent: it counts as edited now for the throttle.
        self._edited_at[current] = self._edited_at.pop(stored, self._clock())
        log.info("job %s: status message replaced, now %s", job.id, current)
        return current

    def forget(self, job_id: int, ref: str | None) -> None:
        self._shown.pop(job_id, None)
        self._settled.pop(job_id, None)
        if ref is not None:
            self._edited_at.pop(ref, None)
