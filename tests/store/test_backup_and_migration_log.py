"""``relaybot backup`` while the bot runs, restoring it, and the migration log line."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import aiosqlite
import pytest

from bot.cli import main
from bot.store.records import SettingScope
from bot.store.sqlite import open_sqlite_store
from bot.store.sqlite.migrations import MIGRATIONS, SCHEMA_VERSION, migrate


def _config(tmp_path: Path, database: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[relay]\nbase_url = "http://127.0.0.1:1"\napi_key = "sk-backup-test"\n'
                    f'[storage]\npath = "{database}"\n', encoding="utf-8")
    return path


async def test_a_backup_of_a_running_store_restores_with_its_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "live" / "bot.sqlite3"
    database.parent.mkdir()
    config = _config(tmp_path, database)
    backup = tmp_path / "backup.sqlite3"
    store = await open_sqlite_store(database)
    try:
        conversation = await store.active_conversation("telegram", "42")
        await store.append_message(conversation.id, "user", "remember the blue door")
        await store.set_setting(SettingScope.USER, "telegram", "7", "model", "gpt-4o")
        # The bot keeps the store open (and its WAL unmerged) while the backup runs.
        code = await asyncio.to_thread(main, ["backup", "--config", str(config), str(backup)])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert f"backed up {database} to {backup}" in out
        await store.append_message(conversation.id, "user", "written after the backup")
    finally:
        await store.close()

    restored = tmp_path / "restored" / "bot.sqlite3"
    restored.parent.mkdir()
    shutil.copyfile(backup, restored)  # the README's restore: copy it back, bot stopped
    async with await open_sqlite_store(restored) as again:
        same = await again.active_conversation("telegram", "42")
        assert [m.content for m in await again.history(same.id, 10_000)] == [
            "remember the blue door"
        ]
        assert await again.get_setting(SettingScope.USER, "telegram", "7", "model") == "gpt-4o"
        await again.append_message(same.id, "assistant", "the restored store takes writes")
        assert len(await again.history(same.id, 10_000)) == 2


async def test_backup_never_overwrites_and_needs_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "bot.sqlite3"
    config = _config(tmp_path, database)
    existing = tmp_path / "precious.sqlite3"
    existing.write_bytes(b"do not touch")

    code = await asyncio.to_thread(main, ["backup", "--config", str(config), str(existing)])
    assert code == 1
    assert "there is no database at" in capsys.readouterr().err

    async with await open_sqlite_store(database):
        pass
    code = await asyncio.to_thread(main, ["backup", "--config", str(config), str(existing)])
    assert code == 1
    assert f"{existing} already exists; choose a new file name" in capsys.readouterr().err
    assert existing.read_bytes() == b"do not touch"

    missing_folder = tmp_path / "nowhere" / "b.sqlite3"
    code = await asyncio.to_thread(main, ["backup", "--config", str(config),
                                          str(missing_folder)])
    assert code == 1
    assert "cannot create" in capsys.readouterr().err
    assert not missing_folder.exists()


async def test_an_upgrade_migrates_on_open_and_says_so_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.store.sqlite.migrations")
    database = tmp_path / "bot.sqlite3"
    async with await open_sqlite_store(database):
        pass
    assert caplog.messages == [], "a new store is created without an upgrade notice"
    async with await open_sqlite_store(database):
        pass
    assert caplog.messages == [], "a current store is opened silently"

    # The next release adds a step: opening the old file runs it and says so.
    next_release = (*MIGRATIONS, ("CREATE TABLE added_later (x INTEGER)",))
    async with aiosqlite.connect(database, isolation_level=None) as conn:
        assert await migrate(conn, str(database), next_release) == 1
        assert await migrate(conn, str(database), next_release) == 0
    assert caplog.messages == [f"store migrated from v{SCHEMA_VERSION} to v{SCHEMA_VERSION + 1}"]


async def test_a_postgresql_upgrade_says_so_in_the_same_line(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncpg

    from bot.store.postgres import migrations as pg

    caplog.set_level(logging.INFO, logger="bot.store.postgres.migrations")
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await pg.migrate(conn, "test") == pg.SCHEMA_VERSION
        assert caplog.messages == [], "a new database is set up without an upgrade notice"
        next_release = (*pg.MIGRATIONS, ("CREATE TABLE added_later (x INTEGER)",))
        assert await pg.migrate(conn, "test", next_release) == 1
    finally:
        await conn.close()
    assert caplog.messages == [
        f"store migrated from v{pg.SCHEMA_VERSION} to v{pg.SCHEMA_VERSION + 1}"
    ]


async def test_backup_refuses_a_postgresql_store_and_names_pg_dump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[relay]\nbase_url = "http://127.0.0.1:1"\napi_key = "sk-backup-test"\n'
                      '[storage]\nurl = "postgresql://bot@127.0.0.1:1/relaybot"\n',
                      encoding="utf-8")
    code = await asyncio.to_thread(main, ["backup", "--config", str(config),
                                          str(tmp_path / "b.sqlite3")])
    assert code == 2
    assert "back up PostgreSQL with pg_dump" in capsys.readouterr().err
    assert not (tmp_path / "b.sqlite3").exists()
