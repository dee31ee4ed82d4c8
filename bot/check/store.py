"""The store: the database file is writable and its schema is one this version knows.

Read-only: the check never creates the file or runs a migration (``relaybot run`` does
that on start, and logs it). SQLite work runs in a thread.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.check.lines import CheckLine, failed, passed
from bot.config import AppConfig
from bot.store.migrations import MIGRATIONS


async def check_store(config: AppConfig) -> CheckLine:
    return await asyncio.to_thread(_check_sqlite, config.storage.path)


def _check_sqlite(path: Path) -> CheckLine:
    current = len(MIGRATIONS)
    folder = path.parent if str(path.parent) else Path(".")
    if not path.exists():
        if not folder.is_dir():
            return failed("store", f"folder {folder} does not exist",
                          f"create it (mkdir -p {folder}) or change storage.path")
        if not os.access(folder, os.W_OK):
            return failed("store", f"cannot create {path}: folder {folder} is not writable",
                          "give the bot's user write access to it, or change storage.path")
        return passed("store", f"{path} will be created on the first start (schema v{current})")
    # SQLite writes a -wal and -shm file beside the database: the folder must be writable.
    if not (os.access(path, os.W_OK) and os.access(folder, os.W_OK)):
        return failed("store", f"{path} (or its folder) is not writable",
                      "give the bot's user write access to the file and its folder")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        return failed("store", f"{path} is not a usable SQLite database ({exc})",
                      "point storage.path at the bot's database, or restore a backup")
    if version > current:
        return failed("store", f"{path} has schema v{version}, newer than this relaybot "
                      f"(v{current})", "upgrade relaybot, or restore a backup made by this "
                      "version")
    if version < current:
        return passed("store", f"{path} writable; schema v{version} is migrated to "
                      f"v{current} on the next start")
    return passed("store", f"{path} writable; schema v{version} is current")
