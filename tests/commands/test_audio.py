"""/transcribe and /translate: audio checks before upload, the text, relay errors."""

from __future__ import annotations

from pathlib import Path

from bot.core.texts import t
from bot.sim import Fault
from bot.sim.media import make_mp3, make_ogg_opus, make_png
from tests.commands.conftest import Bot

TRANSCRIBE = "/v1/audio/transcriptions"
TRANSLATE = "/v1/audio/translations"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


async def test_transcribe_a_voice_message(console: Bot, tmp_path: Path) -> None:
    voice = write(tmp_path, "note.ogg", make_ogg_opus())
    out = await console.run(f"/transcribe file:{voice}")
    size = voice.stat().st_size
    assert out.texts() == [
        t("transcribe.result", text=f"(simulated) transcript of note.ogg, {size} bytes")
    ]
    [request] = console.sim.requests_to(TRANSCRIBE)
    assert request.form["model"] == "whisper-1"
    assert request.files["file"] == ("note.ogg", "audio/ogg", size)
    assert await console.usage() == {"transcription": (1, 1)}


async def test_translate_an_mp3_file(console: Bot, tmp_path: Path) -> None:
    song = write(tmp_path, "talk.mp3", make_mp3())
    out = await console.run(f"/translate file:{song}")
    size = song.stat().st_size
    assert out.texts() == [
        t("translate.result", text=f"(simulated) English translation of talk.mp3, {size} bytes")
    ]
    assert console.sim.requests_to(TRANSLATE)[0].files["file"][1] == "audio/mpeg"
    assert await console.usage() == {"translation": (1, 1)}


async def test_a_name_whisper_would_not_decode_gets_the_sniffed_extension(
    console: Bot, tmp_path: Path
) -> None:
    voice = write(tmp_path, "voice.oga", make_ogg_opus())
    await console.run(f"/transcribe file:{voice}")
    assert console.sim.requests_to(TRANSCRIBE)[0].files["file"][0] == "voice.ogg"


async def test_wrong_type_missing_and_empty_files_are_refused(console: Bot, tmp_path: Path) -> None:
    picture = write(tmp_path, "cat.png", make_png(4, 4))
    empty = write(tmp_path, "empty.mp3", b"")
    out = await console.run(
        f"/transcribe file:{picture}", "/translate", f"/transcribe file:{empty}"
    )
    assert out.texts() == [
        t("input.attachment_kind", option="audio", allowed="voice, audio or video",
          got="image"),
        t("input.attachment_missing", option="audio", what="voice, audio or video"),
        t("audio.empty", filename="empty.mp3"),
    ]
    assert console.sim.requests_to(TRANSCRIBE) == console.sim.requests_to(TRANSLATE) == []


async def test_over_the_relay_limit_is_refused_without_reading(
    console: Bot, tmp_path: Path
) -> None:
    huge = tmp_path / "long.mp3"
    with huge.open("wb") as handle:  # sparse: 26 MB on paper, nothing on disk
        handle.write(make_mp3())
        handle.truncate(26 * 1024 * 1024)
    console.bot_options["max_download_mb"] = 100.0
    out = await console.run(f"/transcribe file:{huge}")
    assert out.texts() == [
        t("input.attachment_too_large", filename="long.mp3", size="26 MB", limit="25 MB")
    ]
    assert console.sim.requests_to(TRANSCRIBE) == []


async def test_over_the_platform_download_limit_is_refused(console: Bot, tmp_path: Path) -> None:
    song = write(tmp_path, "talk.mp3", make_mp3(frames=200))
    console.bot_options["max_download_mb"] = 0.01  # about 10 KB
    out = await console.run(f"/translate file:{song}")
    [text] = out.texts()
    assert text.startswith("talk.mp3 is too large") and "10.2 KB" in text
    assert console.sim.requests_to(TRANSLATE) == []


async def test_relay_errors(console: Bot, tmp_path: Path) -> None:
    voice = write(tmp_path, "note.ogg", make_ogg_opus())
    console.sim.add_fault(Fault("POST", TRANSCRIBE, status=429, headers={"Retry-After": "5"}))
    limited = await console.run(f"/transcribe file:{voice}")
    console.sim.add_fault(Fault("POST", TRANSLATE, status=503))
    no_channel = await console.run(f"/translate file:{voice}")
    assert limited.texts() == [t("error.rate_limited_retry", seconds=5)]
    assert no_channel.texts() == [t("error.no_channel")]
    assert await console.usage() == {}
