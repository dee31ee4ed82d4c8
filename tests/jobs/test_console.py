"""The console adapter runs the tracker: /imagine shows progress and the result before exit."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from pathlib import Path

from adapters.console import run_console
from bot.sim import SimRelay
from tests.jobs.harness import make_config


async def test_console_imagine_progress_and_result(sim: SimRelay, tmp_path: Path) -> None:
    config = make_config(sim.base_url, tmp_path / "c.sqlite3")
    config = replace(config, relay=replace(config.relay, poll_interval_s=0.05),
                     bot=replace(config.bot, progress_interval_s=0.05))
    out = io.StringIO()
    code = await run_console(config, demo=False, jsonl=True, media_dir=tmp_path / "media",
                             wait_s=10, stdin=io.StringIO("/imagine a console cat\n"),
                             stdout=out)
    assert code == 0
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    status = events[0]
    assert status["event"] == "send" and "a console cat" in status["text"]
    assert any(e["event"] == "edit" and "%" in e["text"] for e in events)
    result = next(e for e in events if e["event"] == "send" and e["buttons"])
    assert result["buttons"] == [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"]]
    (image,) = result["attachments"]
    saved = await asyncio.to_thread(Path(image["path"]).read_bytes)
    assert image["kind"] == "image" and saved.startswith(b"\x89PNG")
