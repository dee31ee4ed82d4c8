"""Whose CPU time is it: the simulator's share of the one event loop the benchmarks run.

The tracking cases run the bot and the relay simulator in one process (see
:mod:`bench.vloop`), so the process CPU time holds both. Everything the simulator does
runs in callbacks whose context carries :data:`_SIDE` set to ``"simulator"``: asyncio
copies the current context into every callback and task it schedules, so a server
started inside :func:`attributed` hands that context to its listening socket, to every
connection it accepts and to every request handler task. :func:`install` wraps
``asyncio.Handle._run`` to add the thread CPU time of each such callback to the
simulator's account (consecutive callbacks of one side in one loop iteration are timed
together, see :class:`_Run`); everything else (the bot, its aiosqlite thread, the benchmark's own
bookkeeping) stays on the bot's side, so the bot's share is an upper bound.
"""

from __future__ import annotations

import asyncio.base_events
import asyncio.events
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_SIDE: ContextVar[str | None] = ContextVar("bench_cpu_side", default=None)
_SPENT: dict[str, float] = {}


@contextmanager
def attributed(side: str) -> Iterator[None]:
    """Callbacks and tasks scheduled from inside this block count as ``side``'s CPU."""
    token = _SIDE.set(side)
    try:
        yield
    finally:
        _SIDE.reset(token)


def spent_s(side: str) -> float:
    """Main-thread CPU seconds spent so far in callbacks of ``side``."""
    return _SPENT.get(side, 0.0)


def other_threads_s() -> float:
    """CPU seconds of every live thread but this one (aiosqlite's connection threads)."""
    total = 0.0
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.ident is None:
            continue
        try:
            total += time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except (OSError, ProcessLookupError):  # ended in the meantime
            continue
    return total


class _Run:
    """The side whose callbacks run now, and the thread CPU time when its run began.

    Consecutive callbacks of one side in one loop iteration are timed as one run: the
    clock is read when the side changes and when the iteration ends, not around every
    callback (a read costs about a microsecond, and there are hundreds of thousands of
    callbacks in a tracking case)."""

    side: str | None = None
    started = 0.0


def install() -> None:
    """Measure every event-loop callback (idempotent)."""
    handle = asyncio.events.Handle
    if getattr(handle._run, "_bench_cpu_share", False):
        return
    original: Callable[[Any], None] = handle._run
    loop_class = asyncio.base_events.BaseEventLoop
    original_iteration: Callable[[Any], None] = loop_class._run_once  # type: ignore[attr-defined]
    clock = time.thread_time
    run = _Run()

    def close_run() -> None:
        if run.side is not None:
            _SPENT[run.side] = _SPENT.get(run.side, 0.0) + clock() - run.started
            run.side = None

    def measured(self: Any) -> None:
        side = self._context.get(_SIDE)
        if side != run.side:
            if side is None:
                close_run()
            else:
                now = clock()
                if run.side is not None:
                    _SPENT[run.side] = _SPENT.get(run.side, 0.0) + now - run.started
                run.side, run.started = side, now
        original(self)

    def iteration(self: Any) -> None:
        close_run()  # selecting and dispatching events is the loop's own work
        original_iteration(self)

    measured._bench_cpu_share = True  # type: ignore[attr-defined]
    handle._run = measured  # type: ignore[method-assign]
    loop_class._run_once = iteration  # type: ignore[attr-defined]
