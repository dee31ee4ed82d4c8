"""Media both ways: voice messages in, voice/photos out, photos to ask about, albums,
and Telegram's 20 MB download limit."""

from __future__ import annotations

from bot.sim import SimRelay, media
from tests.telegram.conftest import Running


def finished(tgbot: Running, containing: str) -> bool:
    return any(containing in m.text and "still writing" not in m.text
               for m in tgbot.fake.messages_in(tgbot.dm))


async def test_a_voice_message_is_transcribed_and_answered(tgbot: Running, sim: SimRelay) -> None:
    fake = tgbot.fake
    fake.send_voice(tgbot.dm, tgbot.alice, media.make_ogg_opus())
    heard = await tgbot.answer(containing="🎤")
    assert "transcript" in heard.text
    await fake.wait_until(lambda: finished(tgbot, "reply #1"), what="the chat answer")
    [upload] = sim.requests_to("/v1/audio/transcriptions")
    assert upload.files["file"][2] > 0, "the voice bytes were downloaded and sent to Whisper"
    assert fake.sent("getFile"), "the file was fetched through getFile"
    assert any(c.params["action"] == "typing" for c in fake.sent("sendChatAction"))


async def test_tts_answers_with_a_voice_bubble(tgbot: Running) -> None:
    await tgbot.say("/tts good morning")
    [call] = await tgbot.fake.wait_for("sendVoice")
    voice = call.file("voice")
    assert voice.data.startswith(b"OggS"), "a voice bubble must be OGG/Opus"
    [message] = tgbot.fake.messages_in(tgbot.dm)
    assert message.kind == "voice"
    assert any(c.params["action"] == "record_voice" for c in tgbot.fake.sent("sendChatAction"))


async def test_a_photo_with_a_caption_is_asked_about(tgbot: Running, sim: SimRelay) -> None:
    photo = media.make_png(64, 64, (200, 10, 10))
    tgbot.fake.send_photo(tgbot.dm, tgbot.alice, photo, caption="what colour is this?")
    await tgbot.fake.wait_until(lambda: finished(tgbot, "simulated"), what="the answer")
    [request] = sim.requests_to("/v1/chat/completions")
    parts = request.json["messages"][-1]["content"]
    assert parts[0]["text"] == "what colour is this?"
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")


async def test_a_command_replying_to_a_photo_uses_that_photo(tgbot: Running, sim: SimRelay) -> None:
    photo = tgbot.fake.send_photo(tgbot.dm, tgbot.alice, media.make_png(32, 32, (0, 0, 255)))
    await tgbot.fake.wait_until(lambda: finished(tgbot, "simulated"), what="the photo's answer")
    await tgbot.say("/chat what about the edges?", reply_to=photo["message_id"])
    await tgbot.fake.wait_until(
        lambda: len(sim.requests_to("/v1/chat/completions")) == 2, what="a second request"
    )
    last = sim.requests_to("/v1/chat/completions")[-1].json["messages"][-1]["content"]
    assert last[0]["text"] == "what about the edges?"
    assert last[1]["type"] == "image_url"


async def test_files_over_telegrams_download_limit_get_a_clear_message(tgbot: Running) -> None:
    tgbot.fake.send_voice(tgbot.dm, tgbot.alice, b"OggS", declared_size=22 * 1024 * 1024)
    answer = await tgbot.answer(containing="too large")
    assert "22 MB" in answer.text and "20 MB" in answer.text
    assert not tgbot.fake.sent("getFile"), "nothing is downloaded"


async def test_an_album_is_one_message(tgbot: Running, sim: SimRelay) -> None:
    images = [media.make_png(16, 16, (i * 60, 0, 0)) for i in range(3)]
    tgbot.fake.send_album(tgbot.dm, tgbot.alice, images, caption="which one is darkest?")
    await tgbot.fake.wait_until(lambda: finished(tgbot, "simulated"), what="the answer")
    assert len(sim.requests_to("/v1/chat/completions")) == 1
    assert len(tgbot.fake.messages_in(tgbot.dm)) == 1


async def test_generated_images_are_sent_as_photos(tgbot: Running) -> None:
    await tgbot.say("/dalle a lighthouse at dawn")
    [call] = await tgbot.fake.wait_for("sendPhoto")
    assert call.file("photo").data.startswith(b"\x89PNG")
    assert tgbot.fake.messages_in(tgbot.dm)[-1].kind == "photo"
