"""Virtual time shared by the platform, end-to-end and job tests."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bot.jobs.tracker import JobTracker


class JumpingClock:
    """Virtual time for the bot: sleeping moves the clock forward at once.

    It starts at the wall clock because the store stamps rows with ``time.time`` and the
    job tracker compares those stamps with this clock."""

    def __init__(self) -> None:
        self.now = time.time()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@dataclass
class Jobs:
    """An app's job tracker driven tick by tick on virtual time (its loop not started)."""

    tracker: JobTracker
    clock: JumpingClock

    async def tick(self, seconds: float = 10.0) -> None:
        self.clock.now += seconds
        await self.tracker.run_once()
