"""Settings shared by every simulated family, and the step counter long jobs move along.

A long job (Midjourney task, Suno task, Luma generation) has ``stage`` 0..``steps``. With
``step_seconds == 0`` every observation (a poll) moves it one stage forward *before* the
answer is built, so with ``steps=3`` the 1st poll shows ~33 %, the 2nd ~66 %, the 3rd the
finished job. With ``step_seconds > 0`` the stage follows elapsed time on the injected clock
instead and polls do not move it. A job with its own ``duration_s`` (the ``[takes 40s]``
magic word) follows the clock the same way, reaching the last stage after that long.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


def wall_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class SimConfig:
    api_key: str | None = "sk-sim"
    steps: int = 3
    step_seconds: float = 0.0
    clock: Callable[[], float] = time.monotonic
    new_api_mode: bool = False
    luma_array: bool = False
    chunk_delay_s: float = 0.0


@dataclass
class Progress:
    """Where one job is. ``started_at is None`` means not running (waiting for a modal)."""

    config: SimConfig
    stage: int = 0
    started_at: float | None = None
    frozen: bool = False
    duration_s: float | None = None

    def start(self) -> None:
        self.stage = 0
        self.started_at = self.config.clock()

    def observe(self, *, advance: bool = True) -> None:
        if self.frozen or self.started_at is None:
            return
        steps = self.config.steps
        step_seconds = self.config.step_seconds
        if self.duration_s is not None:
            step_seconds = self.duration_s / max(1, steps)
        if step_seconds > 0:
            elapsed = self.config.clock() - self.started_at
            self.stage = min(steps, max(0, int(elapsed / step_seconds)))
        elif advance:
            self.stage = min(steps, self.stage + 1)

    def finish(self) -> None:
        self.stage = self.config.steps
        if self.started_at is None:
            self.started_at = self.config.clock()

    @property
    def ends_at(self) -> float | None:
        """When a clock-driven job reaches its last stage (None: moved by polls, or idle)."""
        if self.started_at is None:
            return None
        if self.duration_s is not None:
            return self.started_at + self.duration_s
        if self.config.step_seconds > 0:
            return self.started_at + self.config.step_seconds * self.config.steps
        return None

    @property
    def done(self) -> bool:
        return self.started_at is not None and self.stage >= self.config.steps

    @property
    def percent(self) -> int:
        if self.config.steps <= 0:
            return 100
        return round(100 * min(self.stage, self.config.steps) / self.config.steps)


@dataclass
class IdMaker:
    """Task ids: Midjourney-style 16-digit strings and stable UUIDs."""

    # Epoch milliseconds x 1000 has 16 digits (until the year 2286), like real task ids.
    base: int = field(default_factory=lambda: wall_ms() * 1000)
    counter: int = 0

    def digits(self) -> str:
        self.counter += 1
        return str(self.base + self.counter * 7919)

    def uuid(self, seed: str = "") -> str:
        self.counter += 1
        return stable_uuid(f"{seed}#{self.base}#{self.counter}")


def stable_uuid(seed: str) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256(seed.encode("utf-8")).digest()[:16], version=4))


def digest(text: str, length: int = 12) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
