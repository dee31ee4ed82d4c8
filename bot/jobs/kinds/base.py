"""The contract every job vendor module implements, and what the tracker hands it.

A vendor (Midjourney, Suno, Luma) is one module in :mod:`bot.jobs.kinds` exposing a
:class:`JobKind`: how long its jobs may take, what they are called, how to ask the relay
about them (a :class:`KindPoller`, which turns answers into :class:`Observation` values),
and which messages deliver a finished job. The tracker, the status message and the result
builder know nothing else about vendors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from bot.core.context import Services
from bot.core.models import AttachmentKind, Button, OutgoingFile, PlatformLimits, Reply
from bot.core.texts import has_text, t
from bot.jobs.records import LOST_PREFIX, UNKNOWN_KIND_PREFIX
from bot.relay import RelayClient
from bot.store.base import ButtonSpec, Job, JobState, JsonValue, PolledJob

PARALLEL_FETCHES: Final = 8  # single-task status requests in flight at once, per kind
DEFAULT_DEADLINE_S: Final = 15 * 60.0


class UnknownJobKindError(LookupError):
    """A job row names a kind no module implements (a newer version wrote it, or a bug)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"{UNKNOWN_KIND_PREFIX}{kind!r}")
        self.kind = kind


def relay_words(words: str, locale: str) -> str:
    """The relay's state words (``processing``, ``queued, streaming``, ``IN_PROGRESS``) as
    the reader's language says them (catalogue ``jobs.relay.<word>``). Stored jobs keep
    the vendor's word: one job may be shown in several languages."""
    shown = []
    for word in (w.strip() for w in words.split(",")):
        key = f"jobs.relay.{word.lower()}"
        if word:
            shown.append(t(key, locale) if has_text(key) else word)
    return t("list.sep", locale).join(shown)


@dataclass(frozen=True, slots=True)
class Observation:
    """What the relay said about one task, in the tracker's terms."""

    state: JobState
    progress: int
    status_text: str  # the relay's own word(s) for the state, shown via relay_words
    preview_url: str | None = None
    result: JsonValue = None  # the kind's result type as JSON; set with an outcome state
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one job found: an observation, or a reason to try again later."""

    job: PolledJob
    observation: Observation | None = None
    retry_reason: str | None = None


def lost(job: PolledJob, reason: str) -> PollOutcome:
    """The relay no longer knows the task: the job failed."""
    return PollOutcome(job, Observation(JobState.FAILED, job.progress, "lost",
                                        error=f"{LOST_PREFIX}{reason}"))


class KindPoller(Protocol):
    """Asks the relay about jobs of one kind; one per tracker (it may remember relay quirks)."""

    async def poll(self, jobs: Sequence[PolledJob]) -> list[PollOutcome]:
        """An outcome for every job given (each has a relay task id)."""
        ...


class ResultTools(Protocol):
    """What a kind may use to build its result messages (implemented by the ResultBuilder)."""

    @property
    def services(self) -> Services: ...

    @property
    def limits(self) -> PlatformLimits: ...

    async def fetch(
        self, url: str | None, kind: AttachmentKind, *, max_bytes: int | None = None
    ) -> OutgoingFile | None:
        """The file behind ``url``, or None when it cannot be had (then show the link)."""
        ...

    async def rows(self, job: Job, specs: Sequence[ButtonSpec]) -> tuple[tuple[Button, ...], ...]:
        """Store the buttons (each gets a key) and lay them out for the platform."""
        ...


class JobKind(Protocol):
    """One job vendor. Register a new one in :data:`bot.jobs.kinds.KINDS`."""

    @property
    def name(self) -> str:
        """The ``Job.kind`` value, e.g. ``"mj"``."""
        ...

    @property
    def takes_callbacks(self) -> bool:
        """Whether relay callbacks (``notifyHook``) name tasks of this kind."""
        ...

    def deadline_s(self, job: PolledJob) -> float:
        """Seconds after creation when the job is reported as timed out."""
        ...

    def title(self, action: str, locale: str) -> str:
        """The first line of the status message and of /jobs lines."""
        ...

    def progress_detail(self, job: Job, locale: str) -> str:
        """What follows the progress bar while running ("" for nothing)."""
        ...

    def poller(self, relay: RelayClient, clock: Callable[[], float]) -> KindPoller: ...

    def button_names(self, custom_id: str) -> tuple[str, ...]:
        """Words a user may type to press a button whose label is only an emoji."""
        ...

    async def replies(self, job: Job, locale: str, tools: ResultTools) -> list[Reply]:
        """The messages delivering a succeeded job."""
        ...


async def bounded(
    jobs: Sequence[PolledJob], poll: Callable[[PolledJob], Awaitable[PollOutcome]]
) -> list[PollOutcome]:
    """``poll`` every job, at most :data:`PARALLEL_FETCHES` at once."""
    slots = asyncio.Semaphore(PARALLEL_FETCHES)

    async def one(job: PolledJob) -> PollOutcome:
        async with slots:
            return await poll(job)

    return list(await asyncio.gather(*(one(job) for job in jobs)))
