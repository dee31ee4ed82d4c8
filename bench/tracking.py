"""Tracking at scale: N ``/imagine`` jobs arriving at random moments, polled until delivered.

The bot is the real core (store on a SQLite file, relay client, dispatcher) and the real
:class:`~bot.jobs.tracker.JobTracker` with its own loop; jobs enter through the
``/imagine`` command (``Dispatcher.handle`` with an invocation, as every adapter calls
it) and results leave through an outlet that stamps each job's result with the loop
time (:class:`StampingOutlet`: nothing else of a message is kept). Each job asks the
simulator for ``[takes Ns]`` (20–60 s). Time is the virtual loop's
(:mod:`bench.vloop`), so a 3-minute scenario takes only the real time its work takes.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import resource
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cpu_share
from bench.vloop import wall_clock
from bench.world import SIM_KEY, loop_clock
from bot.app import freeze_startup_objects
from bot.config import AppConfig, BotConfig, RelayConfig, Secret
from bot.config_storage import StorageConfig
from bot.core.credits import Credits
from bot.core.models import (
    ChatRef,
    Invocation,
    MessageRef,
    PlatformLimits,
    Question,
    Reply,
    UserRef,
)
from bot.jobs.tracker import JobTracker
from bot.runtime import open_core
from bot.sim import RecordedRequest, SimRelay
from tests.jobs.harness import platform_limits

PLATFORM = "test"  # the stamping outlet's platform name
SIMULATOR = "simulator"  # cpu_share's names: the relay simulator's callbacks,
COMMANDS = "commands"  # the /imagine handlers (submit, job row, status message),
TRACKER = "tracker"  # and the job tracker's loop with every task it starts;
THREADS = "threads"  # CPU of threads other than the loop's (aiosqlite's connection)
MJ_STATUS_PATHS = ("/mj/task/list-by-condition", "/mj/task/*/fetch")
STATUS_REQUESTS = MJ_STATUS_PATHS
_PROMPT = re.compile(r"bench job (\d+) ")
_SETTLE_S = 600.0  # virtual seconds after the last arrival before giving up on a job


@dataclass(frozen=True, slots=True)
class TrackingCase:
    jobs: int
    arrival_s: float
    poll_interval_s: float = 3.0
    min_duration_s: float = 20.0
    max_duration_s: float = 60.0
    seed: int = 11
    budget_s: float = 170.0  # real seconds; past it the case stops and reports what it has


@dataclass(frozen=True, slots=True)
class TrackingResult:
    case: TrackingCase
    status_requests_max_per_interval: int
    baseline_requests_per_interval: int
    cpu_ms_per_update: float
    process_cpu_ms_per_update: float
    simulator_cpu_s: float
    peak_rss_mb: float
    delivery_p50_s: float
    delivery_p99_s: float
    updates: int
    submitted: int
    delivered: int
    virtual_s: float
    real_s: float
    # Where the bot's CPU went: commands, tracker, threads, other (the loop's own work, bench).
    bot_cpu_s_by_part: Mapping[str, float] = field(default_factory=dict)
    status_edits: int = 0  # progress and final edits of the jobs' status messages

    def as_json(self) -> dict[str, Any]:
        return {
            "jobs": self.case.jobs,
            "arrival_s": self.case.arrival_s,
            "poll_interval_s": self.case.poll_interval_s,
            "status_requests_max_per_interval": self.status_requests_max_per_interval,
            "baseline_requests_per_interval": self.baseline_requests_per_interval,
            "cpu_ms_per_update": round(self.cpu_ms_per_update, 4),
            "process_cpu_ms_per_update": round(self.process_cpu_ms_per_update, 4),
            "simulator_cpu_s": round(self.simulator_cpu_s, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "delivery_p50_s": round(self.delivery_p50_s, 3),
            "delivery_p99_s": round(self.delivery_p99_s, 3),
            "updates": self.updates,
            "submitted": self.submitted,
            "delivered": self.delivered,
            "virtual_s": round(self.virtual_s, 1),
            "real_s": round(self.real_s, 1),
            "bot_cpu_s_by_part": {k: round(v, 2) for k, v in self.bot_cpu_s_by_part.items()},
            "status_edits": self.status_edits,
        }


def peak_rss_mb() -> float:
    """This process's peak resident set so far (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def max_in_window(moments: Sequence[float], window_s: float) -> int:
    """The most moments falling in any half-open window ``[t, t + window_s)``."""
    ordered = sorted(moments)
    best = start = 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def max_active(spans: Sequence[tuple[float, float]]) -> int:
    """The most jobs active at once, from (submitted, finished) moments."""
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def _status_updates(request: RecordedRequest) -> int:
    """Job observations a status request returns (a batch names several tasks)."""
    if request.path.endswith("/list-by-condition"):
        ids = request.json.get("ids") if isinstance(request.json, dict) else None
        return len(ids) if isinstance(ids, list) else 0
    return 1


class StampingOutlet:
    """Where the bench's results arrive: one chat whose messages are numbered, and the
    loop time each job's result (the first message with files naming ``bench job N``)
    arrived. Replies are not kept: at 10,000 jobs their images alone would be ~40 MB of
    the process's peak RSS, and none of it the bot's."""

    def __init__(self, clock: Callable[[], float], limits: PlatformLimits) -> None:
        self._clock = clock
        self._limits = limits
        self.sent = 0
        self.edits = 0
        self.delivered: dict[int, float] = {}  # job number -> loop time

    def responder_for(self, chat: ChatRef) -> StampingOutlet:
        return self

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    async def send(self, reply: Reply) -> MessageRef:
        self.sent += 1
        if reply.files and (match := _PROMPT.search(reply.text)) is not None:
            self.delivered.setdefault(int(match.group(1)), self._clock())
        return MessageRef("chat-1", f"m{self.sent}")

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef | None:
        self.edits += 1
        return None

    async def ask(self, question: Question) -> str | None:
        return None

    @asynccontextmanager
    async def typing(self) -> AsyncIterator[None]:
        yield

    def link_to(self, ref: MessageRef) -> str | None:
        return None


@asynccontextmanager
async def _simulator() -> AsyncIterator[SimRelay]:
    """The relay simulator, its CPU time counted apart from the bot's (:mod:`bench.cpu_share`)."""
    cpu_share.install()
    # Only the status requests are counted: the simulator keeps no other request.
    sim = SimRelay(SIM_KEY, steps=3, clock=loop_clock, recorded=STATUS_REQUESTS)
    with cpu_share.attributed(SIMULATOR):  # every callback of its server: the simulator's
        await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@asynccontextmanager
async def _bot(sim: SimRelay, case: TrackingCase) -> AsyncIterator[tuple[Any, StampingOutlet]]:
    with tempfile.TemporaryDirectory(prefix="relaybot-bench-") as workdir:
        config = AppConfig(
            relay=RelayConfig(base_url=sim.base_url, api_key=Secret(SIM_KEY), timeout_s=60.0,
                              poll_interval_s=case.poll_interval_s),
            storage=StorageConfig(path=Path(workdir) / "bench.sqlite3"),
            bot=BotConfig(),
        )
        outlet = StampingOutlet(loop_clock, platform_limits())
        async with open_core(config, clock=loop_clock, sleep=asyncio.sleep,
                             store_clock=wall_clock) as core:
            # As the app's: each job's credit reservation is charged (or refunded) when
            # its outcome is known.
            credits = Credits(config.credits, core.services.store, wall_clock,
                              core.services.metrics, holder=core.services.instance)
            tracker = JobTracker(core.services, {PLATFORM: outlet}, clock=wall_clock,
                                 sleep=asyncio.sleep, worker_id="bench",
                                 outcome_hooks=(credits,))
            with cpu_share.attributed(TRACKER):
                await tracker.start()
            freeze_startup_objects()  # as ``relaybot run`` does once started
            try:
                yield core, outlet
            finally:
                await tracker.stop()


async def run_tracking(case: TrackingCase) -> TrackingResult:
    rng = random.Random(case.seed)
    arrivals = sorted(rng.uniform(0, case.arrival_s) for _ in range(case.jobs))
    durations = [rng.uniform(case.min_duration_s, case.max_duration_s) for _ in range(case.jobs)]
    loop = asyncio.get_running_loop()
    async with _simulator() as sim, _bot(sim, case) as (core, outlet):
        chat = ChatRef(PLATFORM, "chat-1")
        cpu0, real0, start = time.process_time(), time.perf_counter(), loop.time()
        parts0 = {part: cpu_share.spent_s(part) for part in (SIMULATOR, COMMANDS, TRACKER)}
        parts0[THREADS] = cpu_share.other_threads_s()
        real_deadline = real0 + case.budget_s
        submitted: list[asyncio.Task[None]] = []
        for n, (at, duration) in enumerate(zip(arrivals, durations, strict=True)):
            if time.perf_counter() >= real_deadline:
                break  # over budget: what was submitted is still measured
            delay = start + at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            invocation = Invocation(UserRef(f"user{n}", f"User {n}"), chat,
                                    text=f"/imagine bench job {n} [takes {duration:.1f}s]")
            # Users do not wait for each other: each message is handled on its own.
            with cpu_share.attributed(COMMANDS):
                submitted.append(asyncio.create_task(
                    core.dispatcher.handle(invocation, outlet)
                ))
        await asyncio.gather(*submitted)
        delivered = await _wait_delivered(outlet, len(submitted), loop.time() + _SETTLE_S,
                                          real_deadline)
        cpu_s = time.process_time() - cpu0
        parts = {part: cpu_share.spent_s(part) - spent for part, spent in parts0.items()}
        parts[THREADS] = cpu_share.other_threads_s() - parts0[THREADS]
        sim_cpu_s = parts.pop(SIMULATOR)
        parts["other"] = cpu_s - sim_cpu_s - sum(parts.values())
        real_s = time.perf_counter() - real0
        virtual_s = loop.time() - start
        status = [r for p in MJ_STATUS_PATHS for r in sim.requests_to(p, "GET" if "*" in p
                                                                          else "POST")]
        updates = sum(_status_updates(r) for r in status)
        spans, delays = _spans_and_delays(sim, delivered)
        edits = outlet.edits
    return TrackingResult(
        case=case,
        status_requests_max_per_interval=max_in_window([r.at for r in status],
                                                       case.poll_interval_s),
        baseline_requests_per_interval=max_active(spans),
        cpu_ms_per_update=(cpu_s - sim_cpu_s) * 1000 / max(1, updates),
        process_cpu_ms_per_update=cpu_s * 1000 / max(1, updates),
        simulator_cpu_s=sim_cpu_s,
        bot_cpu_s_by_part=parts,
        peak_rss_mb=peak_rss_mb(),
        delivery_p50_s=statistics.median(delays) if delays else math.nan,
        delivery_p99_s=percentile(delays, 0.99),
        updates=updates,
        submitted=len(submitted),
        delivered=len(delivered),
        virtual_s=virtual_s,
        real_s=real_s,
        status_edits=edits,
    )


async def _wait_delivered(
    outlet: StampingOutlet, jobs: int, give_up_at: float, real_deadline: float
) -> dict[int, float]:
    """Job number -> loop time its result reached the outlet."""
    loop = asyncio.get_running_loop()
    while True:
        if len(outlet.delivered) >= jobs or loop.time() >= give_up_at:
            return dict(outlet.delivered)
        if time.perf_counter() >= real_deadline:
            return dict(outlet.delivered)
        await asyncio.sleep(0.5)  # virtual: costs nothing; the stamps come from the outlet


def _spans_and_delays(
    sim: SimRelay, delivered: dict[int, float]
) -> tuple[list[tuple[float, float]], list[float]]:
    spans: list[tuple[float, float]] = []
    delays: list[float] = []
    for task in sim.context.mj.tasks.values():
        match = _PROMPT.search(task.prompt)
        started, ends = task.progress.started_at, task.progress.ends_at
        if match is None or started is None or ends is None:
            continue
        spans.append((started, ends))
        received = delivered.get(int(match.group(1)))
        if received is not None:
            delays.append(received - ends)
    return spans, delays
