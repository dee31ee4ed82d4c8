"""``migrate-store``: copy every row of a SQLite store into an empty PostgreSQL one.

Both ends are first opened through ``open_store``, which brings each to the current schema
(the same version on both, see the migrations), so the tables and columns match one to one.
The copy is one PostgreSQL transaction that locks the target tables, refuses if any of them
holds a row, streams each table with ``COPY`` and moves the id sequences past the copied ids.
The SQLite side is read inside one read transaction: a consistent snapshot even if a bot still
writes to the file (stop the bot first anyway, or its later writes are not copied).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import aiosqlite
import asyncpg

from bot.config import Secret
from bot.config_storage import StorageConfig, url_without_secrets
from bot.store.factory import open_store
from bot.store.records import StoreError, TargetNotEmptyError

TABLES: Final = (
    "conversations",
    "messages",
    "settings",
    "jobs",
    "button_keys",
    "button_presses",
    "pending_inputs",
    "usage",
    "leases",
    "credit_ledger",
    "access_rules",
    "credit_allowances",
)
"""Every table of the schema, parents before the tables that reference them."""

_BATCH: Final = 1000
Progress = Callable[[str, int], None]


async def copy_sqlite_to_postgres(
    sqlite_path: Path, postgres_url: str, *, progress: Progress | None = None
) -> dict[str, int]:
    """Copy everything; returns the number of rows per table.

    ``StoreError`` if the SQLite file does not exist, ``TargetNotEmptyError`` if the
    PostgreSQL database already holds relaybot data (nothing is written then)."""
    if not await asyncio.to_thread(sqlite_path.is_file):
        raise StoreError(f"{sqlite_path}: no such SQLite file")
    for config in (StorageConfig(path=sqlite_path), StorageConfig(url=Secret(postgres_url))):
        await (await open_store(config)).close()  # migrate both ends to the current schema

    counts: dict[str, int] = {}
    source = await aiosqlite.connect(sqlite_path, isolation_level=None)
    target = await asyncpg.connect(postgres_url)
    try:
        await source.execute("BEGIN")  # one snapshot for every table
        async with target.transaction():
            await _lock_and_check_empty(target, url_without_secrets(postgres_url))
            for table in TABLES:
                counts[table] = await _copy_table(source, target, table)
                if progress is not None:
                    progress(table, counts[table])
        await source.execute("ROLLBACK")
    finally:
        await target.close()
        await source.close()
    return counts


async def _lock_and_check_empty(target: asyncpg.Connection, where: str) -> None:
    # The lock makes a second migrate-store started meanwhile wait, then see our rows.
    await target.execute(f"LOCK TABLE {', '.join(TABLES)} IN EXCLUSIVE MODE")
    filled = [
        table
        for table in TABLES
        if await target.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})")
    ]
    if filled:
        raise TargetNotEmptyError(
            f"{where} already holds relaybot data (in {', '.join(filled)}); "
            "migrate-store only copies into an empty database"
        )


async def _copy_table(source: aiosqlite.Connection, target: asyncpg.Connection, table: str) -> int:
    booleans = await _boolean_columns(target, table)
    copied = 0
    async with source.execute(f"SELECT * FROM {table} ORDER BY rowid") as cursor:
        columns = [name for name, *_ in cursor.description]
        flags = [name in booleans for name in columns]
        while batch := await cursor.fetchmany(_BATCH):
            records = [_convert(row, flags) for row in batch]
            await target.copy_records_to_table(table, records=records, columns=columns)
            copied += len(records)
    if "id" in columns:
        # Identity columns do not notice explicit ids: continue after the largest copied.
        await target.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        )
    return copied


async def _boolean_columns(target: asyncpg.Connection, table: str) -> set[str]:
    found = await target.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = $1 AND data_type = 'boolean'",
        table,
    )
    return {row["column_name"] for row in found}


def _convert(row: sqlite3.Row | Sequence[Any], booleans: list[bool]) -> tuple[Any, ...]:
    # SQLite keeps booleans as 0/1; everything else (text, JSON text, floats) is verbatim.
    return tuple(
        bool(v) if flag and v is not None else v for v, flag in zip(row, booleans, strict=True)
    )
