"""``relaybot migrate-store``: a populated SQLite file copied into PostgreSQL, field by field."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import pytest

from bot.cli import main
from bot.config import Secret
from bot.config_storage import StorageConfig
from bot.store import open_store
from bot.store.base import ButtonSpec, JobState, SettingScope, Store
from bot.store.transfer import TABLES
from tests.fakes.clock import JumpingClock

FAR_FUTURE_S = 10**9  # pending inputs must still be unexpired when compared


async def _populate(store: Store, clock: JumpingClock) -> None:
    chat = await store.active_conversation("telegram", "100")
    await store.set_conversation_model(chat.id, "gpt-4o")
    await store.append_message(chat.id, "user", "héllo 🌍", extra={"images": ["a.png"]})
    await store.append_message(chat.id, "assistant", "hi", chars=7)
    clock.now += 1.25
    await store.reset_conversation("telegram", "100")  # the old one stays, inactive
    thread = await store.active_conversation("discord", "9", "thread-1")
    await store.set_conversation_persona(thread.id, "You are terse.")
    await store.append_message(thread.id, "user", "x" * 500)

    await store.set_setting(SettingScope.USER, "telegram", "u1", "model", "gpt-4o")
    await store.set_setting(SettingScope.CHAT, "discord", "9", "limits", {"n": [1, 2.5, None]})

    running = await store.create_job(
        kind="mj", platform="telegram", user_id="u1", chat_id="100",
        request={"prompt": "a cat"}, relay_task_id="t-1", relay_mode="FAST", deadline=5e9,
    )  # fmt: skip
    await store.update_job(running.id, state=JobState.RUNNING, progress=40, progress_text="40%")
    done = await store.create_job(
        kind="suno", platform="discord", user_id="u2", chat_id="9", thread_id="thread-1",
        relay_task_id="t-2", relay_version="v4", status_message_ref="dc:9:1",
    )  # fmt: skip
    await store.update_job(done.id, state=JobState.SUCCEEDED, result={"audio": ["u"]})
    assert await store.claim_delivery(done.id, "worker-a", 30)
    assert await store.record_delivered_piece(done.id, "worker-a", "dc:9:2", 30)
    assert await store.finish_delivery(done.id, "worker-a", ["dc:9:3"])
    failed = await store.create_job(kind="luma", platform="telegram", user_id="u1", chat_id="1")
    await store.update_job(failed.id, state=JobState.FAILED, error="refused")

    [u1, _] = await store.create_buttons(
        running.id,
        [ButtonSpec("mj_action", "U1", custom_id="MJ::U1"), ButtonSpec("retry", emoji="🔁")],
        message_ref="tg:100:5",
    )
    assert (await store.claim_button(u1.key, stale_after_s=60)).won
    await store.attach_button_job(u1.key, done.id)
    await store.create_buttons(None, [ButtonSpec("menu", "Menu", payload={"page": 2})])
    await store.put_pending(
        "telegram", "100", "u1", kind="mj_modal", payload=[1], ttl_s=FAR_FUTURE_S
    )
    await store.record_usage("telegram", "u1", "100", kind="chat", model="gpt-4o", units=321)
    await store.record_usage("discord", "u2", "9", kind="suno")
    assert await store.claim_lease("job-poller", "worker-a", FAR_FUTURE_S)

    await store.reserve_credits(hold="h1", identity="telegram:u1", capability="midjourney",
                                amount=8, day=20000, at=clock(), admit=lambda totals: True)
    await store.attach_hold("h1", running.id)
    await store.reserve_credits(hold="h2", identity="discord:u2", capability="music",
                                amount=15, day=20000, at=clock(), admit=lambda totals: True)
    await store.settle_hold("h2", "charge", at=clock())
    await store.grant_credits(hold="g1", identity="telegram:u1", amount=50, at=clock(),
                              day=20000)
    await store.set_access_rule("discord:9", "deny", at=clock())
    await store.set_allowance("telegram:u1", 250.5, at=clock())


_ORDER = {
    "settings": "scope, platform, owner_id, key",
    "pending_inputs": "platform, chat_id, user_id",
    "leases": "name",
    "access_rules": "identity",
    "credit_allowances": "identity",
    "button_presses": "key",
}


async def _sqlite_rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    order = _ORDER.get(table, "id")
    async with (
        aiosqlite.connect(path) as conn,
        conn.execute(f"SELECT * FROM {table} ORDER BY {order}") as cursor,
    ):
        return [tuple(row) for row in await cursor.fetchall()]


async def _postgres_rows(url: str, table: str) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url)
    try:
        found = await conn.fetch(f"SELECT * FROM {table} ORDER BY {_ORDER.get(table, 'id')}")
    finally:
        await conn.close()
    # SQLite keeps booleans as 0/1: compare them as SQLite stores them.
    return [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in found]


def _migrate(*args: str) -> int:
    return main(["migrate-store", *args])


async def test_migrate_store_copies_every_row_and_refuses_a_second_run(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = JumpingClock()
    path = tmp_path / "relaybot.sqlite3"
    source = await open_store(StorageConfig(path=path), clock=clock)
    await _populate(source, clock)

    code = await asyncio.to_thread(_migrate, "--from", str(path), "--to", postgres_url)

    out = capsys.readouterr().out
    assert code == 0, out
    assert "jobs: 3 rows" in out and "messages: 3 rows" in out
    for table in TABLES:
        rows = await _sqlite_rows(path, table)
        assert rows, f"the fixture leaves {table} empty: populate it"
        assert await _postgres_rows(postgres_url, table) == rows, table

    target = await open_store(StorageConfig(url=Secret(postgres_url)), clock=clock)
    try:
        for job_id in (1, 2, 3):
            assert await target.get_job(job_id) == await source.get_job(job_id)
        for conversation_id in (1, 2, 3):
            copied = await target.get_conversation(conversation_id)
            assert copied == await source.get_conversation(conversation_id)
            copied_history = await target.history(conversation_id, 10**6)
            assert copied_history == await source.history(conversation_id, 10**6)
        assert await target.buttons_for_job(1) == await source.buttons_for_job(1)
        pending = await target.get_pending("telegram", "100", "u1")
        assert pending == await source.get_pending("telegram", "100", "u1")
        limits = await target.all_settings(SettingScope.CHAT, "discord", "9")
        assert limits == {"limits": {"n": [1, 2.5, None]}}
        usage = await target.usage_summary("telegram", "u1", since=0)
        assert usage == await source.usage_summary("telegram", "u1", since=0)
        assert await target.ledger_entries() == await source.ledger_entries()
        assert await target.credit_totals("telegram:u1", 20000) == (
            await source.credit_totals("telegram:u1", 20000)
        )
        assert await target.access_rules(("discord:9",)) == {"discord:9": "deny"}
        assert await target.allowance("telegram:u1") == 250.5
        # New rows continue after the copied ids instead of colliding with them.
        fresh = await target.create_job(kind="mj", platform="p", user_id="u", chat_id="c")
        assert fresh.id == 4
    finally:
        await target.close()
        await source.close()

    again = await asyncio.to_thread(_migrate, "--from", str(path), "--to", postgres_url)

    assert again == 1
    assert "already holds relaybot data" in capsys.readouterr().err
    assert len(await _postgres_rows(postgres_url, "jobs")) == 4  # nothing was added


async def test_migrate_store_refuses_a_missing_file_without_creating_it(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.sqlite3"

    code = await asyncio.to_thread(_migrate, "--from", str(missing), "--to", postgres_url)

    assert code == 1
    assert "no such SQLite file" in capsys.readouterr().err
    assert not missing.exists()


def test_transfer_knows_every_table_of_the_schema(tmp_path: Path) -> None:
    # A table added to the schema but not to TABLES would silently stay behind.
    path = tmp_path / "schema.sqlite3"

    async def create() -> None:
        await (await open_store(StorageConfig(path=path))).close()

    asyncio.run(create())
    with sqlite3.connect(path) as conn:
        names = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
    assert names == set(TABLES)
