"""Midjourney, Suno and Luma on Telegram: a progress message kept up to date, the result
as a photo with an inline keyboard, U1, Custom Zoom through ForceReply, /blend from an
album, /music and /video as files, and a restart in the middle of a job."""

from __future__ import annotations

from bot.sim import SimRelay, media
from tests.fakes.clock import Jobs
from tests.fakes.telegram_api import BotMessage
from tests.telegram.conftest import Running

GRID = ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]


def results(tgbot: Running) -> list[BotMessage]:
    return [m for m in tgbot.fake.messages_in(tgbot.dm) if m.kind == "photo" and m.buttons]


async def imagine(tgbot: Running, jobs: Jobs, prompt: str) -> BotMessage:
    """Run /imagine to the end; the result message (photo + buttons)."""
    before = len(results(tgbot))
    await tgbot.say(f"/imagine {prompt}")
    await tgbot.answer(after=len(tgbot.fake.messages_in(tgbot.dm)), containing=prompt)
    await tgbot.adapter.settled()
    for _ in range(3):
        await jobs.tick()
    assert len(results(tgbot)) == before + 1
    return results(tgbot)[-1]


async def press(tgbot: Running, message: BotMessage, label: str) -> None:
    """Press a button and wait until the bot has handled the press."""
    answered = len(tgbot.fake.sent("answerCallbackQuery"))
    tgbot.fake.press(tgbot.alice, message, label)
    await tgbot.fake.wait_for("answerCallbackQuery", answered + 1)
    await tgbot.adapter.settled()


async def test_imagine_shows_progress_then_a_photo_with_buttons(
    tgbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    fake = tgbot.fake
    await tgbot.say("/imagine a red fox")
    queued = await tgbot.answer(containing="a red fox")
    await tgbot.adapter.settled()
    for _ in range(3):
        await jobs.tick()
    # The progress preview turned the text status into a photo (see test_previews.py).
    status, result = fake.messages_in(tgbot.dm)
    assert queued.deleted and status.kind == "photo"
    assert any("%" in text for text in status.history)
    assert results(tgbot) == [result]
    assert [label for label in result.labels] == GRID
    assert result.reply_to == status.message_id
    assert result.file is not None and result.file.data.startswith(b"\x89PNG")
    assert "a red fox" in result.text
    [submit] = sim.requests_to("/mj/submit/imagine")
    assert submit.json["prompt"] == "a red fox"
    assert any(c.params["action"] == "upload_photo" for c in fake.sent("sendChatAction"))


async def test_pressing_u1_upscales(tgbot: Running, jobs: Jobs, sim: SimRelay) -> None:
    grid = await imagine(tgbot, jobs, "a lighthouse")
    await press(tgbot, grid, "U1")
    [action] = sim.requests_to("/mj/submit/action")
    assert action.json["customId"].startswith("MJ::JOB::upsample::1")
    for _ in range(3):
        await jobs.tick()
    upscaled = results(tgbot)[-1]
    assert upscaled is not grid
    assert any("Custom Zoom" in label for label in upscaled.labels)


async def zoom_question(tgbot: Running, jobs: Jobs) -> BotMessage:
    """Upscale a grid and press Custom Zoom; the ForceReply question."""
    fake = tgbot.fake
    grid = await imagine(tgbot, jobs, "a lighthouse")
    await press(tgbot, grid, "U1")
    for _ in range(3):
        await jobs.tick()
    upscaled = results(tgbot)[-1]
    fake.press(tgbot.alice, upscaled, next(x for x in upscaled.labels if "Custom Zoom" in x))
    await fake.wait_until(lambda: any(m.force_reply for m in fake.messages_in(tgbot.dm)),
                          what="a ForceReply question")
    return next(m for m in fake.messages_in(tgbot.dm) if m.force_reply)


async def test_in_a_private_chat_plain_text_answers_the_question(
    tgbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    await zoom_question(tgbot, jobs)
    await tgbot.say("a lighthouse --zoom 1.2")  # not a reply: fine in a private chat
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse --zoom 1.2"
    assert sim.requests_to("/v1/chat/completions") == [], "the answer was not chatted"


async def test_cancel_ends_the_question(tgbot: Running, jobs: Jobs, sim: SimRelay) -> None:
    await zoom_question(tgbot, jobs)
    count = len(tgbot.fake.messages_in(tgbot.dm))
    await tgbot.say("/cancel")
    await tgbot.answer(after=count, containing="Cancelled")
    await tgbot.adapter.settled()
    assert sim.requests_to("/mj/submit/modal") == []
    assert not tgbot.fake.messages_in(tgbot.dm)[count].force_reply


async def test_custom_zoom_asks_with_force_reply_and_the_reply_continues(
    tgbot: Running, jobs: Jobs, sim: SimRelay
) -> None:
    question = await zoom_question(tgbot, jobs)
    assert "a lighthouse" in question.text and "--zoom" in question.text, "prefill is shown"
    assert "<code>" in question.raw, "the prefill is tap-to-copy"
    assert question.force_reply is not None
    assert "--zoom" in question.force_reply["input_field_placeholder"]
    await tgbot.say("a lighthouse at dusk --zoom 2", reply_to=question.message_id)
    [modal] = await sim.wait_for_requests("/mj/submit/modal", 1)
    assert modal.json["prompt"] == "a lighthouse at dusk --zoom 2"


async def test_blend_takes_an_album(tgbot: Running, sim: SimRelay) -> None:
    images = [media.make_png(16, 16, (i * 90, 20, 20)) for i in range(2)]
    tgbot.fake.send_album(tgbot.dm, tgbot.alice, images, caption="/blend")
    [blend] = await sim.wait_for_requests("/mj/submit/blend", 1)
    assert len(blend.json["base64Array"]) == 2


async def test_music_is_sent_as_audio_and_video_as_video(tgbot: Running, jobs: Jobs) -> None:
    fake = tgbot.fake
    await tgbot.say("/music a song about tea")
    await tgbot.answer(containing="tea")
    await tgbot.say("/video waves at night")
    await tgbot.answer(containing="waves at night")
    await tgbot.adapter.settled()
    for _ in range(4):
        await jobs.tick()
    [audio, *_] = await fake.wait_for("sendAudio")
    assert audio.file("audio").content_type.startswith("audio/")
    assert audio.params.get("title")
    [video] = await fake.wait_for("sendVideo")
    assert video.file("video").data[4:8] == b"ftyp"
    assert video.params["supports_streaming"] is True


async def test_an_unknown_option_is_refused_before_midjourney_is_paid(
    tgbot: Running, sim: SimRelay
) -> None:
    await tgbot.say("/imagine a castle --ar 16:9 stlye=raw")
    refusal = await tgbot.answer(containing="has no option")
    assert "“stlye=”" in refusal.text and "mode=" in refusal.text
    assert "<code>stlye\\=</code>" in refusal.raw  # how to write the "=" as text
    await tgbot.adapter.settled()
    assert sim.requests_to("/mj/submit/imagine") == []
    await tgbot.say(r"/imagine a sign reading love\=pain, a=b --ar 16:9 --s 750")
    await tgbot.fake.wait_until(lambda: bool(sim.requests_to("/mj/submit/imagine")),
                              what="the imagine request")
    [submit] = sim.requests_to("/mj/submit/imagine")
    assert submit.json["prompt"] == "a sign reading love=pain, a=b --ar 16:9 --s 750"
