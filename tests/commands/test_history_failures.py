"""A store that fails after a shown answer: retried once, else a short note, the answer stays.

The failure is SQLite's own: a trigger on the real database file makes the next
``fail`` inserts into ``messages`` raise, as a locked or full disk would.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from tests.commands.conftest import PLATFORM, Bot

NOTE = "will not remember it"


async def _fail_next_history_writes(database: Path, fail: int) -> None:
    def install() -> None:
        with sqlite3.connect(database) as conn:
            conn.executescript(f"""
                CREATE TABLE IF NOT EXISTS test_failures (left INTEGER);
                DELETE FROM test_failures;
                INSERT INTO test_failures VALUES ({fail});
                CREATE TRIGGER IF NOT EXISTS test_fail_history BEFORE INSERT ON messages
                WHEN (SELECT left FROM test_failures) > 0
                BEGIN
                    UPDATE test_failures SET left = left - 1;
                    SELECT RAISE(FAIL, 'database or disk is full (simulated)');
                END;
            """)

    await asyncio.to_thread(install)


async def _history(console: Bot) -> list[tuple[str, str]]:
    async with console.store() as store:
        conversation = await store.active_conversation(PLATFORM, "console", "")
        return [(m.role, m.content) for m in await store.history(conversation.id, 100_000)]


async def test_one_failed_history_write_is_retried_and_the_turn_remembered(console: Bot) -> None:
    await console.run("/reset")  # creates the database
    await _fail_next_history_writes(console.db_path, 1)
    out = await console.run("/chat hello there")
    shown = "\n".join(out.texts())
    assert "reply #1 to: hello there" in shown
    assert NOTE not in shown and "Something went wrong" not in shown
    assert [role for role, _ in await _history(console)] == ["user", "assistant"]


async def test_a_history_write_that_keeps_failing_leaves_the_answer_and_a_note(
    console: Bot,
) -> None:
    await console.run("/reset")
    await _fail_next_history_writes(console.db_path, 2)
    out = await console.run("/chat hello there")
    texts = out.texts()
    assert "reply #1 to: hello there" in texts[0]  # the answer, intact
    assert NOTE in texts[-1]
    assert not any("Something went wrong" in text for text in texts)
    assert await _history(console) == []
