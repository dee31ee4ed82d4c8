"""A Suno clip is delivered as audio a music player can show: title, performer, duration
and the cover as a thumbnail — only when the cover is a JPEG Telegram would keep."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.core.models import OutgoingFile
from bot.jobs.kinds.suno import SUNO_PERFORMER, fits_thumbnail
from bot.jobs.results import ResultBuilder
from bot.media import image_size
from bot.sim import SimRelay, media
from bot.store.base import Job, JobState, JsonValue
from tests.jobs.harness import ALICE, CHAT, Bot, platform_limits

SMALL_JPEG = media.make_jpeg(256, 256, (40, 90, 200))


def _audio_and_cover(harness: Bot) -> list[tuple[OutgoingFile, OutgoingFile]]:
    pairs = []
    for event in harness.recorder.sent():
        files = event.reply.files
        audio = [f for f in files if f.kind == "audio"]
        if audio:
            covers = [f for f in files if f.kind == "image"]
            assert len(covers) == 1, "the cover is sent once, as an image, next to the audio"
            pairs.append((audio[0], covers[0]))
    return pairs


async def test_each_clip_carries_title_performer_duration_and_cover_thumbnail(
    harness: Bot, sim: SimRelay
) -> None:
    await harness.command("/music a happy song about cats")
    await harness.settle()
    [task_id] = list(sim.context.suno.tasks)
    clips = list(sim.suno_task(task_id)["clips"].values())
    pairs = _audio_and_cover(harness)
    assert len(pairs) == 2
    for (audio, cover), clip in zip(pairs, clips, strict=True):
        assert audio.title == clip["title"] and audio.title
        assert audio.performer == SUNO_PERFORMER
        assert audio.duration_s == clip["metadata"]["duration"]
        # The image is Suno's large cover (1024 px, too big for a thumbnail); the
        # thumbnail is its small cover, a JPEG within 320x320.
        assert image_size(cover.data) == (1024, 1024)
        assert audio.thumbnail is not None and audio.thumbnail.startswith(b"\xff\xd8")
        assert image_size(audio.thumbnail) == (256, 256)
    assert pairs[0][0].duration_s != pairs[1][0].duration_s  # 60 s and 67.5 s


class Covers:
    """A CDN on loopback serving fixed bytes by path, counting requests."""

    def __init__(self, files: dict[str, tuple[bytes, str]]) -> None:
        self.files = files
        self.hits: list[str] = []
        self.base = ""

    async def serve(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.hits.append(name)
        body, content_type = self.files[name]
        return web.Response(body=body, content_type=content_type)


def _oversized_jpeg() -> bytes:
    """A 200x200 JPEG over 200 kB: a big comment segment before the image data."""
    small = media.make_jpeg(200, 200, (1, 2, 3))
    comment = b"\xff\xfe" + (65533).to_bytes(2, "big") + b"x" * 65531
    return small[:2] + comment * 4 + small[2:]


@pytest.fixture
async def covers() -> AsyncIterator[Covers]:
    cdn = Covers({
        "song.mp3": (media.make_mp3(), "audio/mpeg"),
        "small.jpeg": (SMALL_JPEG, "image/jpeg"),
        "fits.jpeg": (media.make_jpeg(300, 300, (9, 9, 9)), "image/jpeg"),
        "wide.jpeg": (media.make_jpeg(640, 320, (9, 9, 9)), "image/jpeg"),
        "heavy.jpeg": (_oversized_jpeg(), "image/jpeg"),
        "cover.png": (media.make_png(128, 128, (9, 9, 9)), "image/png"),
    })
    app = web.Application()
    app.router.add_get("/{name}", cdn.serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    cdn.base = f"http://127.0.0.1:{port}"
    try:
        yield cdn
    finally:
        await runner.cleanup()


async def _finished_job(harness: Bot, clip: dict[str, JsonValue]) -> Job:
    job = await harness.store.create_job(kind="suno", platform=CHAT.platform, user_id=ALICE.id,
                                     chat_id=CHAT.chat_id, request={"locale": "en"},
                                     relay_task_id="t-1", relay_version="v3.0")
    full: dict[str, JsonValue] = {"id": "c-1", "status": "complete", "title": "Tea Time",
                                  "tags": "lofi", "duration": 61.4, "lyrics": "", **clip}
    done = await harness.store.update_job(job.id, state=JobState.SUCCEEDED,
                                      result={"clips": [full]})
    assert done is not None
    return done


async def _delivered_audio(harness: Bot, covers: Covers, image: str, small: str | None
                           ) -> OutgoingFile:
    clip: dict[str, JsonValue] = {"audio_url": f"{covers.base}/song.mp3",
                                  "image_url": f"{covers.base}/{image}"}
    if small is not None:
        clip["thumbnail_url"] = f"{covers.base}/{small}"
    job = await _finished_job(harness, clip)
    [reply] = await ResultBuilder(harness.services, platform_limits()).replies(job)
    [audio] = [f for f in reply.files if f.kind == "audio"]
    assert [f.kind for f in reply.files] == ["audio", "image"]  # the cover still as an image
    assert (audio.title, audio.duration_s) == ("Tea Time", 61.4)
    return audio


@pytest.mark.parametrize("small", ["wide.jpeg", "heavy.jpeg", "cover.png"])
async def test_a_cover_telegram_would_drop_is_no_thumbnail(
    harness: Bot, covers: Covers, small: str
) -> None:
    audio = await _delivered_audio(harness, covers, image="wide.jpeg", small=small)
    assert audio.thumbnail is None


async def test_a_png_cover_without_a_small_one_is_no_thumbnail(
    harness: Bot, covers: Covers
) -> None:
    audio = await _delivered_audio(harness, covers, image="cover.png", small=None)
    assert audio.thumbnail is None
    assert covers.hits.count("cover.png") == 1


async def test_a_cover_that_fits_is_the_thumbnail_without_a_second_download(
    harness: Bot, covers: Covers
) -> None:
    audio = await _delivered_audio(harness, covers, image="fits.jpeg", small="small.jpeg")
    assert audio.thumbnail == covers.files["fits.jpeg"][0]
    assert "small.jpeg" not in covers.hits


async def test_a_too_big_cover_falls_back_to_the_small_one(harness: Bot, covers: Covers) -> None:
    audio = await _delivered_audio(harness, covers, image="wide.jpeg", small="small.jpeg")
    assert audio.thumbnail == SMALL_JPEG


def test_thumbnail_rule_reads_the_jpeg_header() -> None:
    assert fits_thumbnail(media.make_jpeg(320, 320))
    assert fits_thumbnail(media.make_jpeg(1, 320))
    assert not fits_thumbnail(media.make_jpeg(321, 100))
    assert not fits_thumbnail(media.make_png(64, 64))
    assert not fits_thumbnail(_oversized_jpeg())
    assert not fits_thumbnail(b"\xff\xd8\xff\xe0 truncated")
