"""Whose CPU time is it: the simulator's share of the one event loop the benchmarks run.

The tracking cases run the bot and the relay simulator in one process (see
:mod:`bench.vloop`), so the process CPU time holds both. Everything the simulator does
runs in callbacks whose context carries :data:`_SIDE` set to ``"simulator"``: asyncio
copies the current context into every callback and task it schedules, so a server
started inside :func:`attributed` hands that context to its listening socket, to every
connection it accepts and to every request handler task. :func:`install` wraps
``asyncio.Handle._run`` to add the thread CPU time of each such callback to the
simulator's account; everything else (the bot, its aiosqlite thread, the benchmark's own
bookkeeping) stays on the bot's side, so the bot's share is an upper bound.
"""

from __future__ import annotations

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


def install() -> None:
    """Measure every event-loop callback (idempotent)."""
    handle = asyncio.events.Handle
    if getattr(handle._run, "_bench_cpu_share", False):
        return
    original: Callable[[Any], None] = handle._run
    clock = time.thread_time

    def measured(self: Any) -> None:
        side = self._context.get(_SIDE)
        if side is None:
            original(self)
            return
        started = clock()
        try:
            original(self)
        finally:
            _SPENT[side] = _SPENT.get(side, 0.0) + clock() - started

    measured._bench_cpu_share = True  # type: ignore[attr-defined]
    handle._run = measured  # type: ignore[method-assign]
