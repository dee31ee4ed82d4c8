"""The messages that deliver a finished job: files (downloaded, never bare links), buttons.

Relay and Discord CDN links expire, so results are downloaded and uploaded as files. A
link is shown instead only when the file cannot be fetched or is too large to upload.
Buttons are stored (:meth:`Store.create_buttons`) so each carries a short key: at once, or,
for a delivery, with its claim (``defer_buttons``, then :func:`with_keys`).
Failures, cancellations and timeouts read the same for every kind; what a succeeded job
delivers is up to its kind (:meth:`bot.jobs.kinds.base.JobKind.replies`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.core.context import Services
from bot.core.delivery import button_rows, fetch_file
from bot.core.models import AttachmentKind, Button, OutgoingFile, PlatformLimits, Reply
from bot.core.render import split_text
from bot.core.texts import t
from bot.jobs.kinds import kind_of
from bot.jobs.records import failure_reason, job_locale
from bot.store.base import ButtonKey, ButtonSpec, Job, JobState

_PENDING_KEY = "pending:"  # a placeholder's prefix; real keys have no ':'


class ResultBuilder:
    def __init__(
        self, services: Services, limits: PlatformLimits, *, defer_buttons: bool = False
    ) -> None:
        """``defer_buttons``: :meth:`rows` stores nothing and gives each button a
        placeholder key; the caller stores :attr:`deferred_buttons` itself (the delivery,
        with its claim: ``claim_delivery_with_buttons``) and puts the keys in with
        :func:`with_keys` before anything is sent."""
        self._services = services
        self._limits = limits
        self._defer = defer_buttons
        self._deferred: list[ButtonSpec] = []

    @property
    def deferred_buttons(self) -> tuple[ButtonSpec, ...]:
        """The buttons :meth:`rows` was asked for while deferring, in order."""
        return tuple(self._deferred)

    @property
    def services(self) -> Services:
        return self._services

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    async def replies(self, job: Job) -> list[Reply]:
        """The result messages of ``job``, each within the platform's text limit."""
        return [piece for reply in await self._replies(job) for piece in self._fit(reply)]

    def _fit(self, reply: Reply) -> list[Reply]:
        # A describe/shorten answer or a long prompt can exceed a message; files and
        # buttons go on the last piece, as ctx.reply does for commands.
        limits = self._limits
        if limits.text_length(reply.text) <= limits.max_text:
            return [reply]
        pieces = split_text(reply.text, limits.max_text, limits.text_length)
        head = [Reply(piece, reply_to=reply.reply_to if i == 0 else None)
                for i, piece in enumerate(pieces[:-1])]
        return [*head, replace(reply, text=pieces[-1], reply_to=None)]

    async def _replies(self, job: Job) -> list[Reply]:
        locale = job_locale(job)
        outcome = job.outcome or job.state
        ids = {"id": job.id, "relay_id": job.relay_task_id or "?"}
        if outcome is JobState.FAILED and job.relay_task_id is None:
            # The submit's answer was lost and its task not found (bot.jobs.submits).
            return [Reply(t("jobs.unconfirmed", locale, id=job.id))]
        if outcome is JobState.FAILED:
            reason = failure_reason(job, locale)
            return [Reply(t("jobs.failed", locale, reason=reason, **ids))]
        if outcome is JobState.CANCELLED:
            return [Reply(t("jobs.cancelled", locale, **ids))]
        if outcome is JobState.TIMED_OUT:
            return [Reply(t("jobs.timed_out", locale, **ids))]
        return await kind_of(job.kind).replies(job, locale, self)

    async def rows(self, job: Job, specs: Sequence[ButtonSpec]) -> tuple[tuple[Button, ...], ...]:
        if not specs:
            return ()
        kind = kind_of(job.kind)
        if self._defer:
            first = len(self._deferred)
            self._deferred += specs
            buttons = [Button(spec.label, f"{_PENDING_KEY}{first + n}",
                              names=kind.button_names(spec.custom_id or ""))
                       for n, spec in enumerate(specs)]
        else:
            keys = await self._services.store.create_buttons(job.id, specs)
            buttons = [Button(k.label, k.key, names=kind.button_names(k.custom_id or ""))
                       for k in keys]
        return button_rows(buttons, self._limits)

    async def fetch(
        self, url: str | None, kind: AttachmentKind, *, max_bytes: int | None = None
    ) -> OutgoingFile | None:
        """Download ``url`` as a file of ``kind`` to upload here; None when it cannot be had."""
        return await fetch_file(self._services, url, kind, limits=self._limits,
                                max_bytes=max_bytes)


def with_keys(replies: Sequence[Reply], keys: Sequence[ButtonKey]) -> list[Reply]:
    """``replies`` built with deferred buttons, each placeholder replaced by its stored
    key (``keys`` in the order of :attr:`ResultBuilder.deferred_buttons`)."""
    def keyed(button: Button) -> Button:
        if not button.key.startswith(_PENDING_KEY):
            return button  # stored already (not built by a deferring builder)
        index = int(button.key.removeprefix(_PENDING_KEY))
        return replace(button, key=keys[index].key)

    return [replace(reply, buttons=tuple(tuple(keyed(b) for b in row) for row in reply.buttons))
            if reply.buttons else reply for reply in replies]
