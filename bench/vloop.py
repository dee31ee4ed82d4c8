"""An event loop on virtual time: busy moments take real time, idle waits take none.

Everything in a scale benchmark (relay simulator, platform fake, bot) runs in one event
loop, so when the loop has nothing ready and no socket has data, nothing can happen
until the next timer: the loop then moves its clock straight to that timer instead of
sleeping. Work (parsing, SQL, HTTP on loopback) still takes real time, so CPU cost and
queueing stay honest; only idle waiting (poll intervals, arrival gaps, job durations)
is skipped.

A thread doing work for the loop (aiosqlite's connection thread, ``run_in_executor``)
is the one thing the loop cannot see in its selector; while any is in flight the loop
waits for it in real time instead of jumping. :func:`install_thread_accounting`
counts aiosqlite calls for that purpose.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from functools import wraps
from typing import Any, TypeVar

T = TypeVar("T")

# After the selector finds nothing, wait this long in real time before jumping: a
# thread the accounting does not know about gets that much time to report back.
_GRACE_S = 0.0005


class _Clock:
    def __init__(self) -> None:
        self.offset = 0.0
        self.threads_in_flight = 0
        self.jumped_s = 0.0

    def now(self) -> float:
        return time.monotonic() + self.offset


_CLOCK = _Clock()


class _JumpingSelector(selectors.BaseSelector):
    """Delegates to the default selector; an idle wait moves the shared clock instead."""

    def __init__(self, clock: _Clock) -> None:
        self._inner = selectors.DefaultSelector()
        self._clock = clock

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout <= 0:
            return self._inner.select(0)
        ready = self._inner.select(0)
        if ready:
            return ready
        if self._clock.threads_in_flight > 0 or timeout is None:
            return self._inner.select(timeout)  # a thread will report back: real wait
        ready = self._inner.select(min(timeout, _GRACE_S))
        if ready:
            return ready
        self._clock.offset += timeout
        self._clock.jumped_s += timeout
        return []

    def close(self) -> None:
        self._inner.close()

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__(_JumpingSelector(_CLOCK))

    def time(self) -> float:
        return _CLOCK.now()

    def run_in_executor(  # type: ignore[override]
        self, executor: Executor | None, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        _CLOCK.threads_in_flight += 1
        future.add_done_callback(_thread_done)
        return future


def _thread_done(_: object) -> None:
    _CLOCK.threads_in_flight -= 1


def skipped_s() -> float:
    """Idle time skipped so far (virtual seconds that took no real time)."""
    return _CLOCK.jumped_s


def wall_clock() -> float:
    """``time.time()`` moved along with the virtual loop clock."""
    return time.time() + _CLOCK.offset


def install_thread_accounting() -> None:
    """Count aiosqlite calls as threads in flight (they finish on its connection thread):
    those made through ``aiosqlite.Connection._execute`` and the SQLite store's batches,
    which go on its queue directly and come back through ``Database._answer``."""
    import aiosqlite.core

    from bot.store.sqlite.db import Database

    connection = aiosqlite.core.Connection
    if getattr(connection._execute, "_bench_counted", False):
        return
    send: Callable[..., None] = Database._send
    answer: Callable[..., None] = Database._answer

    @wraps(send)
    def counted_send(self: Any, batch: Any) -> None:
        _CLOCK.threads_in_flight += 1
        send(self, batch)

    @wraps(answer)
    def counted_answer(self: Any, batch: Any, outcomes: Any) -> None:
        _CLOCK.threads_in_flight -= 1
        answer(self, batch, outcomes)

    Database._send = counted_send  # type: ignore[method-assign]
    Database._answer = counted_answer  # type: ignore[method-assign]
    original: Callable[..., Any] = connection._execute

    @wraps(original)
    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        _CLOCK.threads_in_flight += 1
        try:
            return await original(self, fn, *args, **kwargs)
        finally:
            _CLOCK.threads_in_flight -= 1

    counted._bench_counted = True  # type: ignore[attr-defined]
    connection._execute = counted  # type: ignore[method-assign]


def run_virtual(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a :class:`VirtualTimeLoop`."""
    install_thread_accounting()
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main)
