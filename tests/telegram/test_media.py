"""Media both ways: voice messages in, voice/photos out, photos to ask about, albums,
and Telegram's 20 MB download limit."""

from __future__ import annotations

from bot.sim import SimRelay, media
from tests.telegram.conftest import Running


def finished(bot: Running, containing: str) -> bool:
    return any(containing in m.text and "still writing" not in m.text
               for m in bot.fake.messages_in(bot.dm))


async def test_a_voice_message_is_transcribed_and_answered(bot: Running, sim: SimRelay) -> None:
    fake = bot.fake
    fake.send_voice(bot.dm, bot.alice, media.make_ogg_opus())
    heard = await bot.answer(containing="🎤")
    assert "transcript" in heard.text
    await fake.wait_until(lambda: finished(bot, "reply #1"), what="the chat answer")
    [upload] = sim.requests_to("/v1/audio/transcriptions")
    assert upload.files["file"][2] > 0, "the voice bytes were downloaded and sent to Whisper"
    assert fake.sent("getFile"), "the file was fetched through getFile"
    assert any(c.params["action"] == "typing" for c in fake.sent("sendChatAction"))


async def test_tts_answers_with_a_voice_bubble(bot: Running) -> None:
    await bot.say("/tts good morning")
    [call] = await bot.fake.wait_for("sendVoice")
    voice = call.file("voice")
    assert voice.data.startswith(b"OggS"), "a voice bubble must be OGG/Opus"
    [message] = bot.fake.messages_in(bot.dm)
    assert message.kind == "voice"
    assert any(c.params["action"] == "record_voice" for c in bot.fake.sent("sendChatAction"))


async def test_a_photo_with_a_caption_is_asked_about(bot: Running, sim: SimRelay) -> None:
    photo = media.make_png(64, 64, (200, 10, 10))
    bot.fake.send_photo(bot.dm, bot.alice, photo, caption="what colour is this?")
    await bot.fake.wait_until(lambda: finished(bot, "simulated"), what="the answer")
    [request] = sim.requests_to("/v1/chat/completions")
    parts = request.json["messages"][-1]["content"]
    assert parts[0]["text"] == "what colour is this?"
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")


async def test_a_command_replying_to_a_photo_uses_that_photo(bot: Running, sim: SimRelay) -> None:
    photo = bot.fake.send_photo(bot.dm, bot.alice, media.make_png(32, 32, (0, 0, 255)))
    await bot.fake.wait_until(lambda: finished(bot, "simulated"), what="the photo's answer")
    await bot.say("/chat what about the edges?", reply_to=photo["message_id"])
    await bot.fake.wait_until(
        lambda: len(sim.requests_to("/v1/chat/completions")) == 2, what="a second request"
    )
    last = sim.requests_to("/v1/chat/completions")[-1].json["messages"][-1]["content"]
    assert last[0]["text"] == "what about the edges?"
    assert last[1]["type"] == "image_url"


async def test_files_over_telegrams_download_limit_get_a_clear_message(bot: Running) -> None:
    bot.fake.send_voice(bot.dm, bot.alice, b"OggS", declared_size=22 * 1024 * 1024)
    answer = await bot.answer(containing="too large")
    assert "22 MB" in answer.text and "20 MB" in answer.text
    assert not bot.fake.sent("getFile"), "nothing is downloaded"


async def test_an_album_is_one_message(bot: Running, sim: SimRelay) -> None:
    images = [media.make_png(16, 16, (i * 60, 0, 0)) for i in range(3)]
    bot.fake.send_album(bot.dm, bot.alice, images, caption="which one is darkest?")
    await bot.fake.wait_until(lambda: finished(bot, "simulated"), what="the answer")
    assert len(sim.requests_to("/v1/chat/completions")) == 1
    assert len(bot.fake.messages_in(bot.dm)) == 1


async def test_generated_images_are_sent_as_photos(bot: Running) -> None:
    await bot.say("/dalle a lighthouse at dawn")
    [call] = await bot.fake.wait_for("sendPhoto")
    assert call.file("photo").data.startswith(b"\x89PNG")
    assert bot.fake.messages_in(bot.dm)[-1].kind == "photo"
