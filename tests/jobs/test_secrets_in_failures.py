"""A fail reason that echoes the relay key or a bot token is never shown, nor stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.sim import SimRelay
from tests.jobs.harness import Bot
from tests.relay_sim import SIM_KEY as API_KEY

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


async def _database_bytes(folder: Path) -> bytes:
    def read() -> bytes:
        return b"".join(p.read_bytes() for p in sorted(folder.glob("bot.sqlite3*")))

    return await asyncio.to_thread(read)


async def test_a_fail_reason_echoing_secrets_is_redacted_in_chat_and_in_the_database(
    harness: Bot, sim: SimRelay, tmp_path: Path
) -> None:
    await harness.command("/imagine a lighthouse")
    (job,) = await harness.store.list_active_jobs(limit=10)
    reason = (f"upstream refused: Authorization: Bearer {API_KEY} (key {API_KEY}); "
              f"callback https://api.telegram.org/bot{BOT_TOKEN}/sendMessage")
    sim.set_mj_task_status(job.relay_task_id or "", "FAILURE", fail_reason=reason)
    await harness.settle()
    texts = harness.recorder.texts()
    failure = next(text for text in texts if "upstream refused" in text)
    assert "***" in failure
    for text in texts:
        assert API_KEY not in text and BOT_TOKEN not in text
    stored = await _database_bytes(tmp_path)
    assert b"upstream refused" in stored  # the reason is kept, redacted
    assert API_KEY.encode() not in stored and BOT_TOKEN.encode() not in stored
