"""``relaybot backup PATH``: a consistent copy of the SQLite store while the bot runs.

SQLite's online backup API copies the database page by page under short read locks,
so a running bot keeps working and the copy includes what is still in the WAL file.
It runs in a thread (``sqlite3`` blocks). The destination is created exclusively: an
existing file is never overwritten, and a failed backup leaves no half-written file.
Restoring is copying the file back while the bot is stopped (see the README).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from contextlib import closing
from pathlib import Path


class BackupError(Exception):
    """The backup was not made; the message says why, in one line."""


async def backup_sqlite(source: Path, destination: Path) -> int:
    """Copy ``source`` to the new file ``destination``; returns the pages copied."""
    return await asyncio.to_thread(_backup, source, destination)


def _backup(source: Path, destination: Path) -> int:
    if not source.is_file():
        raise BackupError(f"there is no database at {source} (storage.path)")
    try:
        # O_EXCL: even a file created a moment ago by someone else is not overwritten.
        os.close(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupError(f"{destination} already exists; choose a new file name") from None
    except OSError as exc:
        raise BackupError(f"cannot create {destination}: {exc.strerror}") from None
    try:
        uri = f"{source.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as src, closing(
            sqlite3.connect(destination)
        ) as dst:
            src.backup(dst)
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
    except sqlite3.Error as exc:
        destination.unlink(missing_ok=True)
        raise BackupError(f"backup of {source} failed: {exc}") from None
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    return pages
