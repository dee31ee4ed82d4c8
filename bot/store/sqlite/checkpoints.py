"""WAL checkpoints on a connection of their own, off the store connection's queue.

Under WAL, commits append to the ``-wal`` file, and a checkpoint copies what it holds back
into the database file, syncing both (with ``synchronous = normal``, besides the log's
header when it starts over, the only syncs there are). SQLite runs one automatically in
the connection whose commit takes the log past ``wal_autocheckpoint`` pages: on the store's
one connection, every call queued behind that commit waited for the copy and its syncs, up
to 20 ms at a time in the tracking benchmark.

So the store opens a second connection, used for nothing else, and after a batch of calls
(at most every ``every_s``) starts a ``PASSIVE`` checkpoint there: it copies what no reader
still needs and never waits for a reader or a writer, so the store's connection goes on
committing meanwhile, and the log restarts from its beginning once it has been copied. The
store connection keeps a much larger automatic checkpoint as a backstop (``BACKSTOP_PAGES``)
for a process whose checkpoints cannot keep up. Several processes on one file each run
their own; SQLite lets one checkpoint run at a time and the others return at once.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Final

import aiosqlite

log = logging.getLogger(__name__)

# The store connection's own automatic checkpoint once a checkpointer runs (SQLite's
# default is 1,000 pages, ~4 MB): about 40 MB of log before it steps in.
BACKSTOP_PAGES: Final = 10_000
EVERY_S: Final = 0.25


def _checkpoint(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """On the checkpointer's thread: (busy, frames in the log, frames copied)."""
    row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(row[0]), int(row[1]), int(row[2])


class Checkpointer:
    """A connection that only checkpoints; ``poke`` after the store's calls, ``close``
    with the store. Open with ``Checkpointer.open``."""

    def __init__(
        self, conn: aiosqlite.Connection, *, every_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conn = conn
        self._every_s = every_s
        self._clock = clock
        self._running: asyncio.Task[None] | None = None
        self._last_started = clock()  # the first one an interval after opening
        self._closed = False
        self.checkpoints = 0  # completed, for the store's tests and benchmarks
        self.frames_copied = 0

    @classmethod
    async def open(
        cls, path: str, *, synchronous: str, every_s: float = EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> Checkpointer:
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            # The syncs of a checkpoint follow the connection that runs it.
            await conn.execute(f"PRAGMA synchronous = {synchronous}")
        except BaseException:
            await conn.close()
            raise
        return cls(conn, every_s=every_s, clock=clock)

    def poke(self) -> None:
        """The store just ran a batch: start a checkpoint unless one runs or one started
        less than ``every_s`` ago (a quiet store then waits for its next batch)."""
        if self._running is not None or self._closed:
            return
        now = self._clock()
        if now - self._last_started < self._every_s:
            return
        self._last_started = now
        self._running = asyncio.get_running_loop().create_task(
            self._run(), name="sqlite-checkpoint"
        )

    async def _run(self) -> None:
        try:
            # aiosqlite's way of running a function on its thread, as ``Database`` uses it.
            busy, _, copied = await self._conn._execute(  # type: ignore[no-untyped-call]
                _checkpoint, self._conn._conn
            )
        except Exception:
            # A failed checkpoint loses nothing: the log stays whole, and the next one (or
            # the store connection's backstop) copies it.
            log.warning("WAL checkpoint failed", exc_info=True)
        else:
            if not busy:
                self.checkpoints += 1
                self.frames_copied += copied
        finally:
            self._running = None

    async def settle(self) -> None:
        """Return once no checkpoint runs (at once when none does)."""
        running = self._running
        if running is not None:
            await asyncio.shield(running)

    async def close(self) -> None:
        """Wait for a running checkpoint, then close the connection (its thread ends)."""
        self._closed = True
        await self.settle()
        await self._conn.close()
