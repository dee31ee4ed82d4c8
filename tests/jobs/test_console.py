"""The console adapter runs the tracker: /imagine shows progress and the result before exit."""

from __future__ import annotations

import asyncio
import io
import json
import queue
from dataclasses import replace
from pathlib import Path

from bot.console import run_console
from bot.sim import SimRelay
from bot.sim.media import make_png
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


async def _console_music(
    sim: SimRelay, tmp_path: Path, *, jsonl: bool, locale: str = "en"
) -> str:
    config = make_config(sim.base_url, tmp_path / f"m{jsonl}{locale}.sqlite3")
    config = replace(config, relay=replace(config.relay, poll_interval_s=0.05),
                     bot=replace(config.bot, progress_interval_s=0.05, locale=locale))
    out = io.StringIO()
    code = await run_console(config, demo=False, jsonl=jsonl, media_dir=tmp_path / "media",
                             wait_s=10, stdin=io.StringIO("/music a console song\n"),
                             stdout=out)
    assert code == 0
    return out.getvalue()


async def test_console_shows_a_songs_title_and_length(sim: SimRelay, tmp_path: Path) -> None:
    human = await _console_music(sim, tmp_path, jsonl=False)
    clips = [line for line in human.splitlines() if "📎 audio:" in line]
    assert len(clips) == 2
    assert clips[0].endswith("by Suno, 1:00, with cover thumbnail")
    assert clips[1].endswith("by Suno, 1:08, with cover thumbnail")  # 67.5 s
    assert all(' — "' in line for line in clips)  # — "Title" by Suno, ...


async def test_console_file_notes_follow_the_users_language(
    sim: SimRelay, tmp_path: Path
) -> None:
    human = await _console_music(sim, tmp_path, jsonl=False, locale="zh")
    clips = [line for line in human.splitlines() if "📎 音频:" in line]
    assert len(clips) == 2
    assert clips[0].endswith("（Suno），1:00，附封面缩略图")
    assert all(" by " not in line and "cover" not in line for line in clips)
    assert "(edited)" not in human and "（已编辑）" in human


async def test_console_jsonl_events_keep_their_exact_keys(sim: SimRelay, tmp_path: Path) -> None:
    events = [json.loads(line) for line in
              (await _console_music(sim, tmp_path, jsonl=True)).splitlines()]
    songs = [e for e in events if any(a["kind"] == "audio" for a in e["attachments"])]
    assert len(songs) == 2
    for event in events:
        assert set(event) == {"event", "message_id", "text", "attachments", "buttons"}
        assert all(set(a) == {"kind", "path"} for a in event["attachments"])


async def test_console_imagine_takes_a_named_image_and_presses_reroll_by_name(
    sim: SimRelay, tmp_path: Path
) -> None:
    config = make_config(sim.base_url, tmp_path / "r.sqlite3")
    config = replace(config, relay=replace(config.relay, poll_interval_s=0.05),
                     bot=replace(config.bot, progress_interval_s=0.05))
    picture = tmp_path / "ref.png"
    picture.write_bytes(make_png(8, 8, (0, 0, 255)))
    stdin = TypedLines()
    out = io.StringIO()
    console = asyncio.create_task(run_console(
        config, demo=False, jsonl=True, media_dir=tmp_path / "media", wait_s=10,
        stdin=stdin, stdout=out))  # type: ignore[arg-type]
    stdin.type(f"/imagine a blue castle image={picture} --ar 16:9")
    for _ in range(400):  # the user presses once the grid is shown
        if "🔄" in out.getvalue():
            break
        await asyncio.sleep(0.025)
    stdin.type("!press reroll")
    stdin.close_input()
    assert await console == 0
    [submit] = sim.requests_to("/mj/submit/imagine")
    assert submit.json["prompt"] == "a blue castle --ar 16:9"
    assert [b64.split(",")[0] for b64 in submit.json["base64Array"]] == [
        "data:image/png;base64"
    ]
    [action] = sim.requests_to("/mj/submit/action")
    assert action.json["customId"].startswith("MJ::JOB::reroll::0::")


class TypedLines:
    """Stdin that a test types into while the console runs (read by its reader thread)."""

    def __init__(self) -> None:
        self._lines: queue.Queue[str] = queue.Queue()

    def type(self, line: str) -> None:
        self._lines.put(line + "\n")

    def close_input(self) -> None:
        self._lines.put("")

    def readline(self) -> str:
        return self._lines.get()
