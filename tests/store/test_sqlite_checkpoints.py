"""WAL checkpoints on a connection of their own (SQLite).

The store's connection no longer copies the log back into the database file itself (and
waits for the disk meanwhile, with every queued call behind it): a second connection does,
after the store's calls, at most every interval. The log must still be copied back and
start over, and closing the store must end both connections' threads.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

from bot.store.sqlite.checkpoints import BACKSTOP_PAGES, Checkpointer
from bot.store.sqlite.db import Database

BLOB = os.urandom(40_000)  # about ten pages a write


def _create_table(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")


def _insert_blob(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO blobs (data) VALUES (?)", (BLOB,))


async def test_the_second_connection_copies_the_log_back_and_it_starts_over(
    tmp_path: Path,
) -> None:
    db = await Database.connect(tmp_path / "db.sqlite3", busy_timeout_ms=1000,
                                checkpoint_every_s=0)
    try:
        checkpointer = db.checkpointer
        assert checkpointer is not None
        await db.write(_create_table)
        for _ in range(200):  # ~8 MB through the log, below the store connection's backstop
            await db.write(_insert_blob)
        await checkpointer.settle()
        checkpointer.poke()  # nothing written meanwhile: this one copies the rest
        await checkpointer.settle()
        backstop = await db.fetch_one("PRAGMA wal_autocheckpoint")
        assert backstop is not None and backstop[0] == BACKSTOP_PAGES
        assert checkpointer.frames_copied >= 200 * 9

        # The database file alone, without its log, holds every write.
        alone = tmp_path / "alone.sqlite3"
        shutil.copyfile(db.path, alone)
        with closing(sqlite3.connect(alone)) as reader:
            assert reader.execute("SELECT COUNT(*) FROM blobs").fetchone() == (200,)

        # And the log starts over from its beginning instead of growing.
        size = _wal_size(db.path)
        for _ in range(25):
            await db.write(_insert_blob)
        assert _wal_size(db.path) <= size
    finally:
        await db.close()


def _wal_size(path: str) -> int:
    return os.stat(f"{path}-wal").st_size


def _new_threads(before: set[threading.Thread]) -> set[threading.Thread]:
    return set(threading.enumerate()) - before


async def test_closing_the_store_ends_both_threads_also_during_a_checkpoint(
    tmp_path: Path,
) -> None:
    before = set(threading.enumerate())
    db = await Database.connect(tmp_path / "db.sqlite3", busy_timeout_ms=1000,
                                checkpoint_every_s=0)
    threads = _new_threads(before)
    assert len(threads) == 2  # the store's connection and the checkpointer's
    await db.write(_create_table)
    await db.write(_insert_blob)  # its batch starts a checkpoint; close waits for it
    await db.close()
    for thread in threads:  # their last step follows close() at once
        thread.join(timeout=10)
        assert not thread.is_alive()


async def test_without_a_checkpointer_sqlite_checkpoints_on_the_store_connection(
    tmp_path: Path,
) -> None:
    before = set(threading.enumerate())
    db = await Database.connect(tmp_path / "db.sqlite3", busy_timeout_ms=1000,
                                checkpoint_every_s=None)
    try:
        assert db.checkpointer is None
        assert len(_new_threads(before)) == 1
        backstop = await db.fetch_one("PRAGMA wal_autocheckpoint")
        assert backstop is not None and backstop[0] == 1000  # SQLite's own default
    finally:
        await db.close()


async def test_checkpoints_start_at_most_once_an_interval_and_never_two_at_once(
    tmp_path: Path,
) -> None:
    db = await Database.connect(tmp_path / "db.sqlite3", busy_timeout_ms=1000,
                                checkpoint_every_s=None)
    now = [100.0]
    checkpointer = await Checkpointer.open(db.path, synchronous="NORMAL", every_s=10,
                                           clock=lambda: now[0])
    try:
        await db.write(_create_table)
        await db.write(_insert_blob)
        checkpointer.poke()  # just opened: the first one waits an interval
        await checkpointer.settle()
        assert checkpointer.checkpoints == 0
        now[0] += 10
        checkpointer.poke()
        checkpointer.poke()  # one runs already
        await checkpointer.settle()
        assert checkpointer.checkpoints == 1
        now[0] += 9.9
        checkpointer.poke()
        await checkpointer.settle()
        assert checkpointer.checkpoints == 1
        now[0] += 0.1
        checkpointer.poke()
        await asyncio.wait_for(checkpointer.settle(), timeout=30)
        assert checkpointer.checkpoints == 2
    finally:
        await checkpointer.close()
        await db.close()
