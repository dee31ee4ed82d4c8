"""Review 2: bugs a Midjourney/Suno user would hit in the job tracker and job commands."""

from __future__ import annotations

from pathlib import Path

from bot.sim import Fault, SimRelay
from tests.jobs.harness import API_KEY, Bot, FakeClock, open_bot


def _clips(bot: Bot) -> list[object]:
    return [e for e in bot.recorder.sent() if any(f.kind == "audio" for f in e.reply.files)]


async def test_extend_accepts_minutes_and_seconds_and_refuses_zero(tmp_path: Path) -> None:
    async with SimRelay(API_KEY, steps=1) as sim, open_bot(
        sim, tmp_path / "bot.sqlite3", FakeClock()
    ) as bot:
        await bot.command("/music a song about rain")
        await bot.settle()
        first_clip = _clips(bot)[0]  # 60 s long, shown as "1:00"
        bot.recorder.answers += ["0", "0:45"]
        await bot.press("➕ Extend", event=first_clip)  # type: ignore[arg-type]

        extends = [r for r in sim.requests_to("/suno/v1/v3.0/music", method="POST")
                   if r.json["input"].get("continue_clip_id")]
        assert len(extends) == 1  # "0" would pay for a song that starts over
        assert extends[0].json["input"]["continue_at"] == 45.0
        assert len(bot.recorder.asked) == 2


async def test_a_preview_that_cannot_be_fetched_causes_no_unchanged_edits(
    tmp_path: Path,
) -> None:
    async with SimRelay(API_KEY, steps=50, new_api_mode=True) as sim, open_bot(
        sim, tmp_path / "bot.sqlite3", FakeClock()
    ) as bot:
        sim.add_fault(Fault("GET", "/mj/image/*", status=404, times=None))
        await bot.command("/imagine a lighthouse")
        (job,) = await bot.store.list_jobs_for_owner("test", "alice")
        sim.set_mj_task_status(job.relay_task_id or "", "IN_PROGRESS", progress=50)
        status_id = bot.recorder.sent()[-1].message_id
        for _ in range(6):
            bot.clock.now += 10
            await bot.tracker.run_once()

        edits = bot.recorder.edits_of(status_id)
        assert edits, "the 50 % progress is shown"
        texts = [e.reply.text for e in edits]
        assert len(texts) == len(set(texts)), texts  # never an edit with unchanged text
