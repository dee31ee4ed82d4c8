"""Audio in Telegram's music player: title, performer, duration and a cover thumbnail —
for /music results end to end, for albums, and when Telegram will not take the cover."""

from __future__ import annotations

from telegram import Bot, InputFile

from bot.core.models import OutgoingFile, Reply
from bot.sim import SimRelay, media
from tests.fakes.clock import Jobs, JumpingClock
from tests.fakes.telegram_api import ApiCall, FakeTelegram
from tests.fakes.telegram_world import jpeg_size
from tests.telegram.conftest import Running, responder

COVER = media.make_jpeg(160, 160, (200, 120, 40))


def song(name: str = "song.mp3", *, title: str = "", performer: str = "",
         duration_s: float | None = None, thumbnail: bytes | None = None) -> OutgoingFile:
    return OutgoingFile(media.make_mp3(), name, "audio", "audio/mpeg", title=title,
                        performer=performer, duration_s=duration_s, thumbnail=thumbnail)


def thumbnail_of(call: ApiCall, params: dict[str, object] | None = None) -> bytes:
    ref = (params or call.params)["thumbnail"]
    assert isinstance(ref, str) and ref.startswith("attach://"), "uploaded with the call"
    return call.files[ref.removeprefix("attach://")].data


async def test_music_clips_arrive_as_audio_with_title_performer_duration_and_cover(
    tgbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    fake = tgbot.fake
    await tgbot.say("/music a song about tea")
    await tgbot.answer(containing="tea")
    await tgbot.adapter.settled()
    for _ in range(4):
        await jobs.tick()
    calls = await fake.wait_for("sendAudio", 2)
    [task_id] = list(sim.context.suno.tasks)
    clips = list(sim.suno_task(task_id)["clips"].values())
    for call, clip in zip(calls, clips, strict=True):
        assert call.params["title"] == clip["title"]
        assert call.params["performer"] == "Suno"
        assert call.params["duration"] == round(clip["metadata"]["duration"])
        thumbnail = thumbnail_of(call)
        assert thumbnail.startswith(b"\xff\xd8") and jpeg_size(thumbnail) == (256, 256)
        shown = call.result["audio"]  # what users' players get
        assert (shown["title"], shown["performer"]) == (clip["title"], "Suno")
        assert shown["thumbnail"]["width"] == 256
    assert [c.params["duration"] for c in calls] == [60, 68]  # 60 s and 67.5 s
    # The status message became a photo to show the cover while the song streamed; the
    # large cover is still shown once per clip as a photo; the buttons follow.
    status, *covers = fake.sent("sendPhoto")
    assert "tea" in status.params["caption"] and len(covers) == 2
    assert sum("Extend" in label for m in fake.messages_in(tgbot.dm) for label in m.labels) == 2


async def test_a_lone_audio_carries_caption_buttons_and_metadata(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    track = song(title="Tea Time", performer="Suno", duration_s=61.4, thumbnail=COVER)
    await responder(ptb, chat, clock).send(Reply("a song", files=(track,)))
    [message] = tg.messages_in(chat)
    assert (message.kind, message.text) == ("audio", "a song")
    assert message.extra["title"] == "Tea Time" and message.extra["performer"] == "Suno"
    assert message.extra["duration"] == 61
    assert message.extra["thumbnail"].data == COVER


async def test_an_audio_without_metadata_is_titled_by_its_file_name(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    await responder(ptb, chat, clock).send(Reply(files=(song("my_tune.mp3"),)))
    [call] = tg.sent("sendAudio")
    assert call.params["title"] == "my tune"
    assert not {"performer", "duration", "thumbnail"} & set(call.params)


async def test_audios_in_an_album_keep_their_metadata(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    tracks = (song("a.mp3", title="One", duration_s=60.0, thumbnail=COVER),
              song("b.mp3", title="Two", performer="Suno"))
    await responder(ptb, chat, clock).send(Reply("two songs", files=tracks))
    [album] = tg.sent("sendMediaGroup")
    first, second = album.params["media"]
    assert (first["title"], first["duration"]) == ("One", 60)
    assert thumbnail_of(album, first) == COVER
    assert (second["title"], second["performer"]) == ("Two", "Suno")
    assert "thumbnail" not in second
    assert [m.kind for m in tg.messages_in(chat)] == ["audio", "audio"]


async def test_a_refused_thumbnail_is_left_out_and_the_audio_still_arrives(
    tg: FakeTelegram, ptb: Bot, clock: JumpingClock
) -> None:
    chat = tg.private_chat(tg.user())
    tg.fail("sendAudio", match=lambda call: "thumbnail" in call.params,
              description="Bad Request: wrong thumbnail")
    track = song(title="Tea Time", duration_s=30.0, thumbnail=COVER)
    await responder(ptb, chat, clock).send(Reply("a song", files=(track,)))
    [message] = tg.messages_in(chat)
    assert message.kind == "audio" and message.extra["title"] == "Tea Time"
    assert "thumbnail" not in message.extra


async def test_the_fake_drops_thumbnails_telegram_would_drop(tg: FakeTelegram, ptb: Bot) -> None:
    chat = tg.private_chat(tg.user())
    png = media.make_png(64, 64, (1, 2, 3))
    big = media.make_jpeg(640, 640, (1, 2, 3))
    for cover in (png, big):
        sent = await ptb.send_audio(chat.id, InputFile(media.make_mp3(), filename="s.mp3"),
                                    thumbnail=InputFile(cover, filename="c.jpg", attach=True))
        assert sent.audio is not None and sent.audio.thumbnail is None
    assert tg.protocol_errors == [
        "thumbnail dropped: audio thumbnail is not a JPEG",
        "thumbnail dropped: audio thumbnail of (640, 640) pixels is not within 320x320",
    ]
    tg.protocol_errors.clear()
    kept = await ptb.send_audio(chat.id, InputFile(media.make_mp3(), filename="s.mp3"),
                                thumbnail=InputFile(COVER, filename="c.jpg", attach=True),
                                duration=5)
    assert kept.audio is not None and kept.audio.thumbnail is not None
    assert kept.audio.thumbnail.width == 160
