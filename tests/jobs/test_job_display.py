"""What the status message, /jobs and /queue say about a running job."""

from __future__ import annotations

import re

from bot.core.models import UserRef
from bot.jobs.kinds import KINDS
from bot.jobs.kinds.midjourney import numbered_prompts
from bot.sim import SimRelay
from tests.jobs.harness import Bot, image_attachment

ALICE_ZH = UserRef("alice", "Alice", "zh")


async def _tick(harness: Bot) -> None:
    harness.clock.now += harness.services.config.relay.poll_interval_s
    await harness.tracker.run_once()


async def test_a_chosen_describe_prompt_is_the_only_prompt_shown(
    harness: Bot, sim: SimRelay
) -> None:
    await harness.command("/describe", image_attachment())
    await harness.settle()
    result = harness.recorder.last_with_buttons()
    prompts = numbered_prompts(result.reply.text)
    assert len(prompts) == 4
    await harness.press("3️⃣", event=result)
    status = harness.recorder.sent()[-1].reply.text
    assert prompts[3][:80] in status
    assert not any(prompts[n][:80] in status for n in (1, 2, 4))
    await harness.command("/jobs")
    listing = harness.recorder.texts()[-1]
    running = listing.split("Running:")[1].split("\n\n")[0]
    assert prompts[3][:40] in running
    assert not any(prompts[n][:40] in running for n in (1, 2, 4))


async def test_suno_progress_names_each_clip_state_once(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/music a sea shanty about relays")
    status_id = harness.recorder.sent()[-1].message_id
    await _tick(harness)  # both clips are queued now
    (edit,) = harness.recorder.edits_of(status_id)
    assert "· queued" in edit.reply.text and "queued, queued" not in edit.reply.text
    await harness.command("/jobs")
    assert "· queued" in harness.recorder.texts()[-1]
    assert "queued, queued" not in harness.recorder.texts()[-1]


async def test_queue_and_jobs_show_the_same_percentage(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/imagine a lighthouse at dusk")
    await _tick(harness)  # the job is a third done
    await harness.command("/queue")  # asking the relay's queue moves the task on
    queue = harness.recorder.texts()[-1]
    (line,) = [ln for ln in queue.splitlines() if "your job" in ln]
    percent = line.split("%")[0].split()[-1]
    assert percent == "67"
    await harness.command("/jobs")
    assert f" {percent}%" in harness.recorder.texts()[-1]


async def test_a_chinese_user_sees_the_relays_states_in_chinese(
    harness: Bot, sim: SimRelay
) -> None:
    await harness.command("/music a sea shanty about relays", user=ALICE_ZH)
    music_status = harness.recorder.sent()[-1].message_id
    await harness.command("/video a wave rolls in", user=ALICE_ZH)
    video_status = harness.recorder.sent()[-1].message_id
    await harness.command("/imagine a lighthouse at dusk", user=ALICE_ZH)
    await _tick(harness)
    (music,) = harness.recorder.edits_of(music_status)
    assert "· 排队中" in music.reply.text
    videos = [e.reply.text for e in harness.recorder.edits_of(video_status)]
    assert any("· 处理中" in text for text in videos)
    await harness.command("/queue", user=ALICE_ZH)
    (line,) = [ln for ln in harness.recorder.texts()[-1].splitlines() if "你的任务" in ln]
    assert "绘图 — 进行中 67%" in line
    shown = [music.reply.text, *videos, line]
    assert not any(re.search(r"queued|processing|in.progress|imagine", text) for text in shown)


def test_suno_button_jobs_are_titled_in_the_readers_language() -> None:
    suno = KINDS["suno"]
    assert suno.title("full_song", "zh") == "🎵 Suno · 完整歌曲"
    assert suno.title("extend", "zh") == "🎵 Suno · 续写"
    assert suno.title("full_song", "en") == "🎵 Suno · full song"
