"""/music (Suno: both clips, Extend, Full song) and /video (Luma, start image)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sim import SimRelay
from tests.jobs.harness import Bot, FakeClock, image_attachment, open_bot


def _clips(harness: Bot) -> list[object]:
    return [e for e in harness.recorder.sent() if any(f.kind == "audio" for f in e.reply.files)]


async def test_music_description_mode_delivers_both_clips(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/music a happy song about cats")
    (generate,) = sim.requests_to("/suno/v1/v3.0/music")
    assert generate.json["custom_mode"] is False and generate.json["mv"] == "chirp-v3-0"
    assert generate.json["input"]["gpt_description_prompt"] == "a happy song about cats"
    await harness.settle()
    clips = _clips(harness)
    assert len(clips) == 2
    for event in clips:
        kinds = sorted(f.kind for f in event.reply.files)  # type: ignore[attr-defined]
        assert kinds == ["audio", "image"]  # the song and its cover art
        text = event.reply.text  # type: ignore[attr-defined]
        assert "(simulated)" in text and "1:0" in text  # title, tags, duration 1:00 / 1:07
        labels = [b.label for row in event.reply.buttons for b in row]  # type: ignore[attr-defined]
        assert labels == ["➕ Extend"]  # not extended yet: no Full song


async def test_extend_answered_after_a_restart_continues_the_clip(
    sim: SimRelay, tmp_path: Path
) -> None:
    db, clock = tmp_path / "bot.sqlite3", FakeClock()
    async with open_bot(sim, db, clock) as before:
        await before.command("/music a song about rain")
        await before.settle()
        await before.press("➕ Extend", event=_clips(before)[0])  # type: ignore[arg-type]
        assert before.recorder.question_open
    async with open_bot(sim, db, clock) as after:  # a new process, nothing in memory
        assert await after.answer("0:45")
        extend = sim.requests_to("/suno/v1/v3.0/music", method="POST")[-1]
        assert extend.json["input"]["continue_at"] == 45.0
        assert not await after.answer("0:50"), "the question was answered once"


async def test_music_custom_mode_v35(harness: Bot, sim: SimRelay) -> None:
    await harness.command('/music lyrics="[Verse] la la" title=Lalala tags="epic reggae" '
                      "version=v3.5 instrumental=yes")
    (generate,) = sim.requests_to("/suno/v1/music")
    assert generate.json["custom_mode"] is True and generate.json["mv"] == "chirp-v3-5"
    assert generate.json["input"] == {"make_instrumental": True, "prompt": "[Verse] la la",
                                      "title": "Lalala", "tags": "epic reggae"}
    await harness.command("/music lyrics=words")
    assert "title" in harness.recorder.texts()[-1]


async def test_extend_then_full_song(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/music a song about rain")
    await harness.settle()
    first_clip = _clips(harness)[0]
    harness.recorder.answers += ["999", "42 | [Verse] the rain stops"]
    await harness.press("➕ Extend", event=first_clip)  # type: ignore[arg-type]
    assert harness.recorder.asked[0][1] == "30"  # pre-filled: half the clip's 60 s
    assert any("the second to continue at" in text for text in harness.recorder.texts())  # 999 s
    extend = sim.requests_to("/suno/v1/v3.0/music", method="POST")[-1]
    assert extend.json["input"]["continue_at"] == 42.0
    assert extend.json["input"]["prompt"] == "[Verse] the rain stops"
    original_ids = {task["id"] for task in _suno_clips(sim)}
    assert extend.json["input"]["continue_clip_id"] in original_ids
    await harness.settle()

    extended = _clips(harness)[-1]
    labels = [b.label for row in extended.reply.buttons for b in row]  # type: ignore[attr-defined]
    assert labels == ["➕ Extend", "🎼 Full song"]
    await harness.press("🎼 Full song", event=extended)  # type: ignore[arg-type]
    await harness.press("🎼 Full song", event=extended)  # type: ignore[arg-type]
    (concat,) = sim.requests_to("/suno/v1/v3.0/music/concat")  # one press, one paid call
    assert concat.json["clip_id"] not in original_ids
    assert "Already working on it" in harness.recorder.texts()[-1]
    await harness.settle()
    assert len(_clips(harness)) == 5  # 2 + 2 extended + 1 full song


def _suno_clips(sim: SimRelay) -> list[dict[str, object]]:
    first_task = sim.context.suno.tasks[next(iter(sim.context.suno.tasks))]
    return [{"id": clip_id} for clip_id in first_task.clip_ids]


async def test_video_with_start_image_url(harness: Bot, sim: SimRelay) -> None:
    frame = f"{sim.base_url}/sim/media/image/336699/frame.png?w=64&h=64"
    await harness.command("/video a wave rolls in aspect=9:16 loop=yes",
                      image_attachment(url=frame))
    (generate,) = sim.requests_to("/luma/v1/generations", method="POST")
    assert generate.json == {"user_prompt": "a wave rolls in", "aspect_ratio": "9:16",
                             "image_url": frame, "loop": True}
    status = harness.recorder.sent()[0]
    await harness.settle()
    edits = [e.reply.text for e in harness.recorder.edits_of(status.message_id)]
    assert any("processing" in text for text in edits)  # progress shows Luma's state
    video = harness.recorder.sent()[-1].reply
    assert [f.kind for f in video.files] == ["video"]
    assert "a wave rolls in" in video.text


async def test_video_upload_without_url_is_refused_clearly(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/video a wave", image_attachment())
    assert "public link" in harness.recorder.texts()[-1]
    assert not sim.requests_to("/luma/v1/generations")
    await harness.command("/video a wave image_url=https://example.invalid/frame.png")
    assert sim.requests_to("/luma/v1/generations")[-1].json["image_url"] == (
        "https://example.invalid/frame.png")


@pytest.mark.sim(steps=1)
async def test_extend_accepts_minutes_and_seconds_and_refuses_zero(
    harness: Bot, sim: SimRelay
) -> None:
    await harness.command("/music a song about rain")
    await harness.settle()
    first_clip = _clips(harness)[0]  # 60 s long, shown as "1:00"
    harness.recorder.answers += ["0", "0:45"]
    await harness.press("➕ Extend", event=first_clip)  # type: ignore[arg-type]

    extends = [r for r in sim.requests_to("/suno/v1/v3.0/music", method="POST")
               if r.json["input"].get("continue_clip_id")]
    assert len(extends) == 1  # "0" would pay for a song that starts over
    assert extends[0].json["input"]["continue_at"] == 45.0
    assert len(harness.recorder.asked) == 2

