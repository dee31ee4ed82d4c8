"""Timing and memory measurement shared by every benchmark case."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

AsyncFn = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Measurement:
    median_s: float
    peak_bytes: int


@dataclass(frozen=True, slots=True)
class Case:
    """One comparison: ``subject`` against ``baseline``, both doing the same work."""

    name: str
    what: str
    setup: Callable[[], Awaitable[tuple[AsyncFn, AsyncFn, Callable[[], Awaitable[None]]]]]
    repeats: int = 5


async def measure(fn: AsyncFn, repeats: int) -> Measurement:
    await fn()  # warm-up: imports, caches, connection pools
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    try:
        await fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Measurement(statistics.median(times), peak)


async def run_case(case: Case) -> tuple[Measurement, Measurement]:
    subject, baseline, teardown = await case.setup()
    try:
        base = await measure(baseline, case.repeats)
        subj = await measure(subject, case.repeats)
    finally:
        await teardown()
    return subj, base


def format_row(case: Case, subject: Measurement, baseline: Measurement) -> str:
    time_ratio = subject.median_s / baseline.median_s if baseline.median_s else float("inf")
    mem_ratio = subject.peak_bytes / baseline.peak_bytes if baseline.peak_bytes else float("inf")
    return (
        f"{case.name:<28} {subject.median_s * 1000:9.2f} ms {baseline.median_s * 1000:9.2f} ms"
        f" {time_ratio:7.2f}x {subject.peak_bytes / 1024:9.0f} KiB"
        f" {baseline.peak_bytes / 1024:9.0f} KiB {mem_ratio:7.2f}x"
    )


def header() -> str:
    return (
        f"{'case':<28} {'subject':>12} {'baseline':>12} {'time':>8} {'subj mem':>13}"
        f" {'base mem':>13} {'mem':>8}"
    )


def run_all(cases: list[Case]) -> None:
    async def main() -> None:
        print(header())
        for case in cases:
            subject, baseline = await run_case(case)
            print(format_row(case, subject, baseline))
            print(f"  {case.what}")

    asyncio.run(main())
