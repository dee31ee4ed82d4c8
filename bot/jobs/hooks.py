"""What the job tracker tells the rest of the bot when a job reaches its outcome.

The tracker calls every hook before it delivers a job whose outcome is known (succeeded,
failed, cancelled, timed out), and again on every later attempt: after a restart the same
job may be handed over more than once, so a hook must be idempotent. Credits implement it
(charge a success, refund the rest) without the tracker knowing about credits.
"""

from __future__ import annotations

from typing import Protocol

from bot.store.base import Job


class JobOutcomeHook(Protocol):
    async def job_finished(self, job: Job) -> None:
        """``job.outcome`` is set; may run several times for one job."""
