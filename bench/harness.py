"""Timing and memory measurement shared by every micro-benchmark case."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

AsyncFn = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Measurement:
    median_s: float
    peak_bytes: int


@dataclass(frozen=True, slots=True)
class Case:
    """One comparison: ``subject`` against ``baseline``, both doing the same work.

    ``clock``: wall time by default; ``time.process_time`` for cases whose work is all
    CPU in this process (client and simulator on one loop), which a machine busy with
    other work then slows far less than it slows the wall clock."""

    name: str
    what: str
    setup: Callable[[], Awaitable[tuple[AsyncFn, AsyncFn, AsyncFn]]]  # subject, baseline, teardown
    repeats: int = 5
    clock: Callable[[], float] = time.perf_counter


async def measure(
    fn: AsyncFn, repeats: int, clock: Callable[[], float] = time.perf_counter
) -> Measurement:
    await fn()  # warm-up: imports, caches, connection pools
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()
        start = clock()
        await fn()
        times.append(clock() - start)
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
        base = await measure(baseline, case.repeats, case.clock)
        subj = await measure(subject, case.repeats, case.clock)
    finally:
        await teardown()
    return subj, base


def _ratio(subject: float, baseline: float) -> float:
    return subject / baseline if baseline else float("inf")


def format_row(case: Case, subject: Measurement, baseline: Measurement) -> str:
    time_ratio = _ratio(subject.median_s, baseline.median_s)
    mem_ratio = _ratio(subject.peak_bytes, baseline.peak_bytes)
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


def as_json(case: Case, subject: Measurement, baseline: Measurement) -> dict[str, Any]:
    return {
        "name": case.name,
        "subject_ms": round(subject.median_s * 1000, 3),
        "baseline_ms": round(baseline.median_s * 1000, 3),
        "time_ratio": round(_ratio(subject.median_s, baseline.median_s), 3),
        "subject_peak_kib": round(subject.peak_bytes / 1024),
        "baseline_peak_kib": round(baseline.peak_bytes / 1024),
    }


async def run_all(cases: list[Case]) -> list[dict[str, Any]]:
    """Run every case, printing a row each; the rows as JSON for results.json."""
    print(header())
    rows: list[dict[str, Any]] = []
    for case in cases:
        subject, baseline = await run_case(case)
        print(format_row(case, subject, baseline))
        print(f"  {case.what}")
        rows.append(as_json(case, subject, baseline))
    return rows
