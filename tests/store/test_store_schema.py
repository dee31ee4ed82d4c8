"""Creating, migrating and refusing databases, on each backend's own terms."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.config import Secret
from bot.config_storage import SqliteSynchronous, StorageConfig
from bot.store import open_store
from bot.store.base import JobState, SchemaTooNewError, Store, StoreUnavailableError
from bot.store.postgres import migrations as pg_migrations
from bot.store.sqlite import migrations as sqlite_migrations
from bot.store.sqlite.db import Database
from bot.store.sqlite.migrations import SCHEMA_VERSION, migrate, schema_version

TABLES = {"conversations", "messages", "settings", "jobs", "button_keys", "pending_inputs", "usage"}


def _sqlite(path: Path) -> StorageConfig:
    return StorageConfig(path=path)


def _pg(url: str) -> StorageConfig:
    return StorageConfig(url=Secret(url), pool_size=2)


def test_both_backends_number_their_schema_versions_alike() -> None:
    assert len(pg_migrations.MIGRATIONS) == len(sqlite_migrations.MIGRATIONS)
    assert pg_migrations.SCHEMA_VERSION == sqlite_migrations.SCHEMA_VERSION


# -- SQLite ------------------------------------------------------------------------------


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
    store = await open_store(_sqlite(path))
    try:
        conversation = await store.active_conversation("telegram", "1")
        assert conversation.active
    finally:
        await store.close()

    version, tables, journal = await _inspect(path)
    assert version == SCHEMA_VERSION
    assert tables >= TABLES
    assert journal == "wal"


async def test_opening_a_current_file_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "current.db"
    await (await open_store(_sqlite(path))).close()
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await migrate(conn, str(path)) == 0
        assert await schema_version(conn) == SCHEMA_VERSION


async def test_a_file_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    async with aiosqlite.connect(path) as conn:
        await conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        await conn.commit()

    with pytest.raises(SchemaTooNewError) as refused:
        await open_store(_sqlite(path))

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
    first, second = await asyncio.gather(open_store(_sqlite(path)), open_store(_sqlite(path)))
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
    store = await open_store(_sqlite(tmp_path / "fk.db"))
    try:
        with pytest.raises(aiosqlite.IntegrityError):
            await store.append_message(12345, "user", "orphan")
    finally:
        await store.close()


@pytest.mark.parametrize(("setting", "pragma"), [("normal", 1), ("full", 2)])
async def test_sqlite_commits_wait_for_the_disk_only_when_configured_full(
    tmp_path: Path, setting: SqliteSynchronous, pragma: int
) -> None:
    db = await Database.connect(tmp_path / "sync.db", busy_timeout_ms=1000, synchronous=setting)
    try:
        row = await db.fetch_one("PRAGMA synchronous")
        journal = await db.fetch_one("PRAGMA journal_mode")
    finally:
        await db.close()
    assert row is not None and row[0] == pragma
    assert journal is not None and journal[0] == "wal"


async def test_version_1_files_keep_their_jobs_and_buttons(tmp_path: Path) -> None:
    """The jobs table is rebuilt for the submitting state; nothing referring to it is lost."""
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA foreign_keys = ON")
        await migrate(conn, str(path), sqlite_migrations.MIGRATIONS[:1])
        for statement in _V1_ROWS:
            await conn.execute(statement.replace("$1", "1"))
    store = await open_store(_sqlite(path))
    try:
        await _check_upgraded(store)
    finally:
        await store.close()
    version, tables, _ = await _inspect(path)
    assert version == SCHEMA_VERSION and "button_presses" in tables


_V1_ROWS = (
    "INSERT INTO jobs (id, kind, relay_task_id, platform, user_id, chat_id, state, request,"
    " created_at, updated_at, next_poll_at) VALUES (7, 'mj', 'T7', 'telegram', 'u1', 'c1',"
    " 'running', '{}', $1, $1, $1)",
    "INSERT INTO button_keys (key, job_id, position, kind, label, emoji, payload, created_at)"
    " VALUES ('k7', 7, 0, 'mj_action', 'U1', '', 'null', $1)",
)


async def _check_upgraded(store: Store) -> None:
    job = await store.get_job(7)
    assert job is not None and job.relay_task_id == "T7" and job.pieces_sent == 0
    [button] = await store.buttons_for_job(7)
    assert button.key == "k7"
    assert (await store.claim_button("k7", stale_after_s=60)).won
    submitting = await store.create_job(kind="mj", platform="telegram", user_id="u1",
                                        chat_id="c1", state=JobState.SUBMITTING,
                                        submit_tag="relaybot-after-upgrade")
    assert submitting.state is JobState.SUBMITTING


# -- PostgreSQL --------------------------------------------------------------------------


async def _pg_tables(url: str) -> tuple[int, set[str]]:
    conn = await asyncpg.connect(url)
    try:
        version = await pg_migrations.schema_version(conn)
        found = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    finally:
        await conn.close()
    return version, {row["tablename"] for row in found}


async def test_opening_an_empty_postgres_schema_creates_the_tables(postgres_url: str) -> None:
    first, second = await asyncio.gather(
        open_store(_pg(postgres_url)), open_store(_pg(postgres_url))
    )
    try:
        a = await first.active_conversation("discord", "42")
        b = await second.active_conversation("discord", "42")
        assert a.id == b.id
    finally:
        await first.close()
        await second.close()
    version, tables = await _pg_tables(postgres_url)
    assert version == pg_migrations.SCHEMA_VERSION
    assert tables >= TABLES | {"relaybot_schema"}

    conn = await asyncpg.connect(postgres_url)
    try:
        assert await pg_migrations.migrate(conn, "test") == 0
    finally:
        await conn.close()


async def test_a_postgres_schema_from_a_newer_version_is_refused_untouched(
    postgres_url: str,
) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("CREATE TABLE relaybot_schema (singleton BOOLEAN, version INTEGER)")
        await conn.execute("INSERT INTO relaybot_schema VALUES (TRUE, $1)", SCHEMA_VERSION + 1)
    finally:
        await conn.close()

    with pytest.raises(SchemaTooNewError) as refused:
        await open_store(_pg(postgres_url))

    assert refused.value.found == SCHEMA_VERSION + 1
    _, tables = await _pg_tables(postgres_url)
    assert not tables & TABLES


async def test_a_failing_postgres_migration_step_rolls_back_whole(postgres_url: str) -> None:
    steps = (
        ("CREATE TABLE first (x INTEGER)",),
        ("CREATE TABLE second (x INTEGER)", "THIS IS NOT SQL"),
    )
    conn = await asyncpg.connect(postgres_url)
    try:
        with pytest.raises(asyncpg.PostgresSyntaxError):
            await pg_migrations.migrate(conn, "test", steps)
    finally:
        await conn.close()
    version, tables = await _pg_tables(postgres_url)
    assert version == 1
    assert tables == {"first", "relaybot_schema"}


async def test_an_unreachable_postgres_is_one_clear_error_without_the_password() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = _pg(f"postgresql://bot:hunter2secret@127.0.0.1:{port}/relaybot")

    with pytest.raises(StoreUnavailableError) as refused:
        await open_store(config)

    assert "hunter2secret" not in str(refused.value)
    assert f"postgresql://bot@127.0.0.1:{port}/relaybot" in str(refused.value)


async def test_a_malformed_postgres_url_is_refused_without_echoing_the_password() -> None:
    with pytest.raises(StoreUnavailableError) as refused:
        await open_store(_pg("postgresql://bot:hunter2secret@127.0.0.1:notaport/relaybot"))

    assert "not a valid URL" in str(refused.value)
    assert "hunter2secret" not in str(refused.value)


async def test_a_version_1_postgres_schema_keeps_its_jobs_and_buttons(postgres_url: str) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        await pg_migrations.migrate(conn, "test", pg_migrations.MIGRATIONS[:1])
        for statement in _V1_ROWS:
            await conn.execute(statement, 1.0)
    finally:
        await conn.close()
    store = await open_store(_pg(postgres_url))
    try:
        await _check_upgraded(store)
    finally:
        await store.close()
    version, tables = await _pg_tables(postgres_url)
    assert version == pg_migrations.SCHEMA_VERSION and "button_presses" in tables
