"""The store: the database is writable and its schema is one this version knows.

The check never creates the database's tables or runs a migration (``relaybot run`` does
that on start, and logs it). SQLite: the file and its folder, read in a thread.
PostgreSQL: a connection, the schema version, and a table created and written inside a
transaction that is rolled back.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.check.lines import CheckLine, failed, passed
from bot.config import AppConfig
from bot.store.sqlite.migrations import MIGRATIONS


async def check_store(config: AppConfig) -> CheckLine:
    if config.storage.url is not None:
        return await _check_postgres(config)
    return await asyncio.to_thread(_check_sqlite, config.storage.path)


class _RolledBack(Exception):
    """Ends the write probe's transaction without keeping anything."""


async def _check_postgres(config: AppConfig) -> CheckLine:
    import asyncpg

    from bot.store.postgres.migrations import MIGRATIONS as PG_MIGRATIONS
    from bot.store.postgres.migrations import schema_version

    assert config.storage.url is not None
    where = config.storage.describe()
    current = len(PG_MIGRATIONS)
    try:
        conn = await asyncpg.connect(config.storage.url.reveal(), timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        # asyncpg names the server and user here, never the password.
        return failed("store", f"cannot connect to {where}: {exc}",
                      "check [storage] url / url_env, that the server is up and accepts this "
                      "user, and that the database exists")
    except (asyncpg.InterfaceError, ValueError):
        return failed("store", f"{where}: not a valid URL",
                      "write [storage] url as postgresql://user@host:5432/database")
    try:
        version = await schema_version(conn)
        try:
            async with conn.transaction():
                await conn.execute("CREATE TABLE relaybot_check_probe (x INTEGER)")
                await conn.execute("INSERT INTO relaybot_check_probe VALUES (1)")
                raise _RolledBack
        except _RolledBack:
            pass
    except asyncpg.PostgresError as exc:
        return failed("store", f"{where} is not writable for this user: {exc}",
                      "grant the user CREATE and write privileges in the database (or schema)")
    finally:
        await conn.close()
    return _version_line(where, version, current)


async def sqlite_problem(config: AppConfig) -> str | None:
    """One line naming ``storage.path`` and what is wrong with the SQLite file (missing
    folder, read-only, not SQLite); None when it looks usable or the store is PostgreSQL."""
    if config.storage.url is not None:
        return None
    line = await asyncio.to_thread(_check_sqlite, config.storage.path)
    return None if line.ok else f"storage.path {config.storage.path}: {line.summary}; {line.fix}"


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
    return _version_line(str(path), version, current)


def _version_line(where: str, version: int, current: int) -> CheckLine:
    if version > current:
        return failed("store", f"{where} has schema v{version}, newer than this relaybot "
                      f"(v{current})", "upgrade relaybot, or restore a backup made by this "
                      "version")
    if version < current:
        return passed("store", f"{where} writable; schema v{version} is migrated to "
                      f"v{current} on the next start")
    return passed("store", f"{where} writable; schema v{version} is current")
