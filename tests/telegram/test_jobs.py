"""Midjourney, Suno and Luma on Telegram: a progress message kept up to date, the result
as a photo with an inline keyboard, U1, Custom Zoom through ForceReply, /blend from an
album, /music and /video as files, and a restart in the middle of a job."""

from __future__ import annotations

from bot.sim import SimRelay, media
from tests.fakes.clock import Jobs
from tests.fakes.telegram_api import BotMessage
from tests.telegram.conftest import Running

GRID = ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]


def results(bot: Running) -> list[BotMessage]:
    return [m for m in bot.fake.messages_in(bot.dm) if m.kind == "photo" and m.buttons]


async def imagine(bot: Running, jobs: Jobs, prompt: str) -> BotMessage:
    """Run /imagine to the end; the result message (photo + buttons)."""
    before = len(results(bot))
    await bot.say(f"/imagine {prompt}")
    await bot.answer(after=len(bot.fake.messages_in(bot.dm)), containing=prompt)
    await bot.adapter.settled()
    for _ in range(3):
        await jobs.tick()
    assert len(results(bot)) == before + 1
    return results(bot)[-1]


async def press(bot: Running, message: BotMessage, label: str) -> None:
    """Press a button and wait until the bot has handled the press."""
    answered = len(bot.fake.sent("answerCallbackQuery"))
    bot.fake.press(bot.alice, message, label)
    await bot.fake.wait_for("answerCallbackQuery", answered + 1)
    await bot.adapter.settled()


async def test_imagine_shows_progress_then_a_photo_with_buttons(
    bot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    fake = bot.fake
    await bot.say("/imagine a red fox")
    queued = await bot.answer(containing="a red fox")
    await bot.adapter.settled()
    for _ in range(3):
        await jobs.tick()
    # The progress preview turned the text status into a photo (see test_previews.py).
    status, result = fake.messages_in(bot.dm)
    assert queued.deleted and status.kind == "photo"
    assert any("%" in text for text in status.history)
    assert results(bot) == [result]
    assert [label for label in result.labels] == GRID
    assert result.reply_to == status.message_id
    assert result.file is not None and result.file.data.startswith(b"\x89PNG")
    assert "a red fox" in result.text
    [submit] = sim.requests_to("/mj/submit/imagine")
    assert submit.json["prompt"] == "a red fox"
    assert any(c.params["action"] == "upload_photo" for c in fake.sent("sendChatAction"))


async def test_pressing_u1_upscales(bot: Running, jobs: Jobs, sim: SimRelay) -> None:
    grid = await imagine(bot, jobs, "a lighthouse")
    await press(bot, grid, "U1")
    [action] = sim.requests_to("/mj/submit/action")
    assert action.json["customId"].startswith("MJ::JOB::upsample::1")
    for _ in range(3):
        await jobs.tick()
    upscaled = results(bot)[-1]
    assert upscaled is not grid
    assert any("Custom Zoom" in label for label in upscaled.labels)


async def zoom_question(bot: Running, jobs: Jobs) -> BotMessage:
    """Upscale a grid and press Custom Zoom; the ForceReply question."""
    fake = bot.fake
    grid = await imagine(bot, jobs, "a lighthouse")
    await press(bot, grid, "U1")
    for _ in range(3):
        await jobs.tick()
    upscaled = results(bot)[-1]
    fake.press(bot.alice, upscaled, next(x for x in upscaled.labels if "Custom Zoom" in x))
    await fake.wait_until(lambda: any(m.force_reply for m in fake.messages_in(bot.dm)),
                          what="a ForceReply question")
    return next(m for m in fake.messages_in(bot.dm) if m.force_reply)


async def test_in_a_private_chat_plain_text_answers_the_question(
    bot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    await zoom_question(bot, jobs)
    await bot.say("a lighthouse --zoom 1.2")  # not a reply: fine in a private chat
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse --zoom 1.2"
    assert sim.requests_to("/v1/chat/completions") == [], "the answer was not chatted"


async def test_cancel_ends_the_question(bot: Running, jobs: Jobs, sim: SimRelay) -> None:
    await zoom_question(bot, jobs)
    count = len(bot.fake.messages_in(bot.dm))
    await bot.say("/cancel")
    await bot.answer(after=count, containing="Cancelled")
    await bot.adapter.settled()
    assert sim.requests_to("/mj/submit/modal") == []
    assert not bot.fake.messages_in(bot.dm)[count].force_reply


async def test_custom_zoom_asks_with_force_reply_and_the_reply_continues(
    bot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    question = await zoom_question(bot, jobs)
    assert "a lighthouse" in question.text and "--zoom" in question.text, "prefill is shown"
    assert "<code>" in question.raw, "the prefill is tap-to-copy"
    assert question.force_reply is not None
    assert "--zoom" in question.force_reply["input_field_placeholder"]
    await bot.say("a lighthouse at dusk --zoom 2", reply_to=question.message_id)
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse at dusk --zoom 2"


async def test_blend_takes_an_album(bot: Running, sim: SimRelay) -> None:
    images = [media.make_png(16, 16, (i * 90, 20, 20)) for i in range(2)]
    bot.fake.send_album(bot.dm, bot.alice, images, caption="/blend")
    [blend] = await sim.wait_for_requests("/mj/submit/blend", 1)
    assert len(blend.json["base64Array"]) == 2


async def test_music_is_sent_as_audio_and_video_as_video(bot: Running, jobs: Jobs) -> None:
    fake = bot.fake
    await bot.say("/music a song about tea")
    await bot.answer(containing="tea")
    await bot.say("/video waves at night")
    await bot.answer(containing="waves at night")
    await bot.adapter.settled()
    for _ in range(4):
        await jobs.tick()
    [audio, *_] = await fake.wait_for("sendAudio")
    assert audio.file("audio").content_type.startswith("audio/")
    assert audio.params.get("title")
    [video] = await fake.wait_for("sendVideo")
    assert video.file("video").data[4:8] == b"ftyp"
    assert video.params["supports_streaming"] is True


async def test_an_unknown_option_is_refused_before_midjourney_is_paid(
    bot: Running, sim: SimRelay
) -> None:
    await bot.say("/imagine a castle --ar 16:9 stlye=raw")
    refusal = await bot.answer(containing="has no option")
    assert "“stlye=”" in refusal.text and "mode=" in refusal.text
    assert "<code>stlye\\=</code>" in refusal.raw  # how to write the "=" as text
    await bot.adapter.settled()
    assert sim.requests_to("/mj/submit/imagine") == []
    await bot.say(r"/imagine a sign reading love\=pain, a=b --ar 16:9 --s 750")
    await bot.fake.wait_until(lambda: bool(sim.requests_to("/mj/submit/imagine")),
                              what="the imagine request")
    [submit] = sim.requests_to("/mj/submit/imagine")
    assert submit.json["prompt"] == "a sign reading love=pain, a=b --ar 16:9 --s 750"
