"""What every job row's request holds, whatever its kind, and the polling schedule.

``Job.request`` is a JSON object written by the command that started the job: the common
keys of :class:`JobRequest` plus the kind's own (see the kind's module). ``Job.result`` is
the kind's result type, written by the tracker and read back at delivery.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from bot.core.models import ChatRef
from bot.core.texts import t
from bot.lenient import as_bool, as_dict, as_int, as_str
from bot.store.base import Job, JsonValue

MAX_POLL_INTERVAL_S: Final = 60.0
# Reasons the bot itself stores in ``Job.error``: English for logs and operators; users
# read them through the catalogue (:func:`failure_reason`).
UNCONFIRMED: Final = "the relay did not confirm the submit"
LOST_PREFIX: Final = "unknown task: "
UNKNOWN_KIND_PREFIX: Final = "unknown job kind "


@dataclass(frozen=True, slots=True)
class JobRequest:
    """The keys every kind's request carries."""

    locale: str = "en"
    private: bool = True
    title: str = ""  # the action shown in the title line, e.g. "imagine", "extend"
    prompt: str = ""
    queue_position: int | None = None  # Midjourney code 22: tasks ahead of it

    @classmethod
    def of(cls, job: Job) -> JobRequest:
        data = as_dict(job.request)
        position = as_int(data.get("queue_position"))
        return cls(
            locale=as_str(data.get("locale")) or "en",
            private=as_bool(data.get("private"), True),
            title=as_str(data.get("title")),
            prompt=as_str(data.get("prompt")),
            queue_position=position if position > 0 else None,
        )

    def to_json(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {"locale": self.locale, "private": self.private,
                                      "title": self.title, "prompt": self.prompt}
        if self.queue_position:
            data["queue_position"] = self.queue_position
        return data


# Ages (seconds) up to which a job is polled on every tick, then every 2nd; older: every 4th.
_AGE_STEPS: Final = ((120.0, 1), (600.0, 2), (math.inf, 4))


def poll_factor(base: float, age_s: float) -> int:
    """Poll young jobs every tick, older ones every 2nd or 4th (they rarely end soon).

    A whole number of ticks, so jobs of every age share the same ticks."""
    factor = next(factor for below, factor in _AGE_STEPS if age_s < below)
    most = max(1, int(MAX_POLL_INTERVAL_S // base)) if base > 0 else factor
    return max(1, min(factor, most))


def due_age_limit(base: float, tick: int) -> float:
    """An age below which every job that tick number ``tick`` asks about by age is
    (``math.inf``: any age): the store then lists only jobs younger than that, or never
    seen. The tick still decides each listed job with :func:`bot.jobs.polling.is_due`."""
    limit = 0.0
    start = 0.0
    for below, _ in _AGE_STEPS:
        if tick % poll_factor(base, start) == 0:
            limit = below
        start = below
    return limit


def job_locale(job: Job) -> str:
    return JobRequest.of(job).locale


def job_chat(job: Job) -> ChatRef:
    return ChatRef(
        platform=job.platform,
        chat_id=job.chat_id,
        thread_id=job.thread_id,
        is_private=JobRequest.of(job).private,
    )


def short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_reason(job: Job, locale: str, limit: int = 300) -> str:
    """Why ``job`` failed, for its reader: the bot's own reasons in the reader's language,
    the relay's (or vendor's) words as they came."""
    error = " ".join((job.error or "").split())
    if error == UNCONFIRMED:
        return t("jobs.reason.unconfirmed", locale)
    if error.startswith(LOST_PREFIX):
        relay_said = short(error[len(LOST_PREFIX):], limit) or t("jobs.no_reason", locale)
        return t("jobs.reason.lost", locale, reason=relay_said)
    if error.startswith(UNKNOWN_KIND_PREFIX):
        return t("jobs.reason.unknown_kind", locale, kind=job.kind)
    return short(error, limit) or t("jobs.no_reason", locale)
