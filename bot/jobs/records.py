"""What a job row holds for each kind, and the timing rules the tracker applies.

Job kinds are ``mj`` (Midjourney), ``suno`` and ``luma``. ``Job.request`` is a JSON object
written by the command (:class:`JobRequest` keys below); ``Job.result`` is written by the
tracker when the relay reports an outcome and read back at delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.core.models import ChatRef
from bot.store.base import Job, JsonValue

MJ: Final = "mj"
SUNO: Final = "suno"
LUMA: Final = "luma"
KINDS: Final = (MJ, SUNO, LUMA)

# After these many seconds the job is reported as timed out (with its id): Midjourney's
# relax mode queues for a long time, Luma renders take minutes.
DEADLINE_S: Final[Mapping[str, float]] = {
    "mj": 15 * 60,
    "mj:relax": 45 * 60,
    "suno": 15 * 60,
    "luma": 30 * 60,
}
MAX_POLL_INTERVAL_S: Final = 60.0


def deadline_for(kind: str, mode: str | None, now: float) -> float:
    key = f"{kind}:{mode}" if f"{kind}:{mode}" in DEADLINE_S else kind
    return now + DEADLINE_S.get(key, 15 * 60)


def poll_interval(base: float, age_s: float) -> float:
    """Poll young jobs at the configured rate, older ones less often (they rarely end soon)."""
    factor = 1.0 if age_s < 120 else 2.0 if age_s < 600 else 4.0
    return max(base, min(base * factor, MAX_POLL_INTERVAL_S))


def obj(value: JsonValue) -> dict[str, JsonValue]:
    return value if isinstance(value, dict) else {}


def text_of(mapping: Mapping[str, JsonValue], key: str, default: str = "") -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else default


def number_of(mapping: Mapping[str, JsonValue], key: str) -> float | None:
    value = mapping.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def job_locale(job: Job) -> str:
    return text_of(obj(job.request), "locale", "en")


def job_chat(job: Job) -> ChatRef:
    private = obj(job.request).get("private")
    return ChatRef(
        platform=job.platform,
        chat_id=job.chat_id,
        thread_id=job.thread_id,
        is_private=private if isinstance(private, bool) else True,
    )


def short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
