"""SQLite-specific: creating, migrating and refusing database files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest

from bot.store.base import SchemaTooNewError
from bot.store.migrations import SCHEMA_VERSION, migrate, schema_version
from bot.store.sqlite import SqliteStore

TABLES = {"conversations", "messages", "settings", "jobs", "button_keys", "pending_inputs", "usage"}


async def _inspect(path: Path) -> tuple[int, set[str], str]:
    async with aiosqlite.connect(path) as conn:
        version = await schema_version(conn)
        async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
            tables = {row[0] for row in await cur.fetchall()}
        async with conn.execute("PRAGMA journal_mode") as cur:
            row = await cur.fetchone()
    assert row is not None
    return version, tables, row[0]


async def test_opening_an_empty_file_creates_the_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    async with await SqliteStore.open(path) as store:
        conversation = await store.active_conversation("telegram", "1")
        assert conversation.active

    version, tables, journal = await _inspect(path)
    assert version == SCHEMA_VERSION
    assert tables >= TABLES
    assert journal == "wal"


async def test_opening_a_current_file_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "current.db"
    await (await SqliteStore.open(path)).close()
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await migrate(conn, str(path)) == 0
        assert await schema_version(conn) == SCHEMA_VERSION


async def test_a_file_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    async with aiosqlite.connect(path) as conn:
        await conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        await conn.commit()

    with pytest.raises(SchemaTooNewError) as refused:
        await SqliteStore.open(path)

    assert refused.value.found == SCHEMA_VERSION + 1
    assert "newer" in str(refused.value) and str(path) in str(refused.value)
    version, tables, _ = await _inspect(path)
    assert version == SCHEMA_VERSION + 1
    assert not tables & TABLES


async def test_each_migration_step_commits_or_rolls_back_whole(tmp_path: Path) -> None:
    steps = (
        ("CREATE TABLE first (x INTEGER)",),
        ("CREATE TABLE second (x INTEGER)", "THIS IS NOT SQL"),
    )
    path = tmp_path / "partial.db"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(aiosqlite.OperationalError):
            await migrate(conn, str(path), steps)
        assert await schema_version(conn) == 1
        async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
            tables = {row[0] for row in await cur.fetchall()}
    assert tables == {"first"}


async def test_two_processes_creating_the_same_file_at_once_both_succeed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    first, second = await asyncio.gather(SqliteStore.open(path), SqliteStore.open(path))
    try:
        a = await first.active_conversation("discord", "42")
        b = await second.active_conversation("discord", "42")
        assert a.id == b.id
    finally:
        await first.close()
        await second.close()
    version, _, _ = await _inspect(path)
    assert version == SCHEMA_VERSION


async def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    async with await SqliteStore.open(tmp_path / "fk.db") as store:
        with pytest.raises(aiosqlite.IntegrityError):
            await store.append_message(12345, "user", "orphan")
