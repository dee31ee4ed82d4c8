"""Virtual time for the tests: the bot's clock jumps when it sleeps (the real App is started
on it, its job tracker ticked by the test); core tests drive coroutines through a clock that
schedules the sleepers."""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from bot.app import App
from bot.config import AppConfig
from bot.jobs.tracker import JobTracker

T = TypeVar("T")


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


async def start_app(config: AppConfig, clock: JumpingClock) -> App:
    """The real App with every platform ``config`` names, on virtual time.

    With virtual time the tracker's own loop would spin through its naps, so its loop is
    not started and tests tick it explicitly instead (:class:`Jobs`). The store is on the
    same virtual time, so expiries (questions) pass when the clock jumps."""
    app = App(config, clock=clock, sleep=clock.sleep, wall_clock=clock, store_clock=clock,
              start_tracker=False)
    await app.start()
    return app


class SchedulingClock:
    """Virtual time: ``clock()`` reads it, ``await clock.sleep(s)`` waits for it.

    ``await clock.run(coro)`` drives the coroutine: whenever every task is waiting, time
    jumps to the earliest sleeper's wake-up time. No real time passes.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._count = 0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._count += 1
        heapq.heappush(self._sleepers, (self.now + seconds, self._count, future))
        await future

    async def run(self, coro: Awaitable[T]) -> T:
        task = asyncio.ensure_future(coro)
        while not task.done():
            for _ in range(20):
                await asyncio.sleep(0)
            if task.done() or not self._sleepers:
                continue
            wake_at, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake_at)
            if not future.done():
                future.set_result(None)
        return task.result()
