"""/imagine end to end: the relay request, progress edits, the result with its buttons."""

from __future__ import annotations

import base64
import itertools
from pathlib import Path

from bot.sim import SimRelay
from bot.store.base import JobState, SettingScope
from tests.jobs.harness import Bot, FakeClock, image_attachment, open_bot

GRID = ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]


def labels(rows: tuple[tuple[object, ...], ...]) -> list[str]:
    return [button.label for row in rows for button in row]  # type: ignore[attr-defined]


async def test_imagine_submits_tracks_and_delivers_once(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/imagine a red fox --ar 1:1", image_attachment())

    (submit,) = sim.requests_to("/mj/submit/imagine")
    assert submit.mode is None  # fast: the plain /mj prefix
    assert submit.json["prompt"] == "a red fox --ar 1:1"
    assert submit.json["botType"] == "MID_JOURNEY"
    (reference,) = submit.json["base64Array"]
    assert reference.startswith("data:image/png;base64,")
    assert base64.b64decode(reference.split(",", 1)[1]).startswith(b"\x89PNG")
    status = harness.recorder.sent()[0]
    assert "a red fox" in status.reply.text and "queue" in status.reply.text

    await harness.settle()

    edits = harness.recorder.edits_of(status.message_id)
    progress = [e.reply.text for e in edits]
    assert any("33%" in text and "▰" in text for text in progress)
    assert any("67%" in text for text in progress)
    assert any(e.reply.files and e.reply.files[0].kind == "image" for e in edits)  # preview
    assert "Done" in progress[-1]
    results = [e for e in harness.recorder.sent() if e.reply.files]
    assert len(results) == 1
    result = results[0].reply
    assert result.files[0].content_type == "image/png"
    assert result.reply_to is not None and result.reply_to.message_id == status.message_id
    assert labels(result.buttons) == GRID
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert job.state is JobState.DELIVERED and len(job.delivered_refs) == 1

    await harness.settle()  # nothing more happens: delivered exactly once
    assert len([e for e in harness.recorder.sent() if e.reply.files]) == 1


async def test_mode_bot_options_and_settings_default(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/imagine a castle mode=relax bot=niji")
    (first,) = sim.requests_to("/mj/submit/imagine")
    assert first.mode == "relax" and first.json["botType"] == "NIJI_JOURNEY"

    # The user's /settings choice is the default when the option is absent.
    await harness.services.store.set_setting(SettingScope.USER, "test", "alice", "mj_mode", "turbo")
    await harness.command("/imagine a tower")
    assert sim.requests_to("/mj/submit/imagine")[-1].mode == "turbo"


async def test_progress_edits_are_throttled(tmp_path: Path) -> None:
    async with SimRelay("sk-sim", steps=8) as slow_sim, open_bot(
        slow_sim, tmp_path / "t.sqlite3", FakeClock(), progress_interval_s=10.0
    ) as slow:
        await slow.command("/imagine a slow snail")
        status = slow.recorder.sent()[0]
        await slow.settle()
        edits = slow.recorder.edits_of(status.message_id)
        times = [e.at for e in edits]
        assert len(edits) >= 2
        assert all(b - a >= 10.0 for a, b in itertools.pairwise(times))


async def test_submit_codes(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/imagine a cat [queued]")
    assert "1 ahead" in harness.recorder.texts()[-1]
    await harness.command("/imagine a cat [banned]")
    assert "“banned”" in harness.recorder.texts()[-1]
    await harness.command("/imagine a cat [queue-full]")
    assert "try again" in harness.recorder.texts()[-1]
    await harness.command("/imagine a cat [no-account]")
    assert "无可用的账号实例" in harness.recorder.texts()[-1]


async def test_failed_job_reports_reason(harness: Bot) -> None:
    await harness.command("/imagine a storm [fail]")
    await harness.settle()
    text = harness.recorder.texts()[-1]
    assert "failed" in text and "simulated" in text
