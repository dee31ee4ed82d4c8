"""Store benchmarks on a real SQLite file."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import aiosqlite

from bench.harness import AsyncFn, Case
from bot.config_storage import StorageConfig
from bot.store import open_store

_MESSAGES = 5_000
_BUDGET = 12_000


async def _history() -> tuple[AsyncFn, AsyncFn, AsyncFn]:
    workdir = Path(tempfile.mkdtemp(prefix="relaybot-bench-"))
    store = await open_store(StorageConfig(path=workdir / "bench.sqlite3"))
    conversation = await store.active_conversation("bench", "chat")
    for n in range(_MESSAGES):
        role = "user" if n % 2 == 0 else "assistant"
        await store.append_message(conversation.id, role, f"message {n} " + "x" * (n % 300))
    raw = await aiosqlite.connect(workdir / "bench.sqlite3")

    async def budgeted() -> object:
        return await store.history(conversation.id, _BUDGET)

    async def load_all_then_trim() -> object:
        # What a naive bot does: read the whole conversation, trim in Python.
        async with raw.execute(
            "SELECT role, content FROM messages WHERE conversation_id = ? ORDER BY id",
            (conversation.id,),
        ) as cursor:
            rows = list(await cursor.fetchall())
        kept: list[tuple[str, str]] = []
        used = 0
        for role, content in reversed(rows):
            if used + len(content) > _BUDGET:
                break
            used += len(content)
            kept.append((role, content))
        return list(reversed(kept))

    async def teardown() -> None:
        await raw.close()
        await store.close()
        shutil.rmtree(workdir, ignore_errors=True)

    return budgeted, load_all_then_trim, teardown


CASES = [
    Case(
        "store_history_budget",
        f"chat history within {_BUDGET:,} characters from a {_MESSAGES:,}-message conversation "
        "(subject) against loading every message and trimming in Python (baseline)",
        _history,
    ),
]
