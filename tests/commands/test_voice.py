"""Voice chat: audio sent without a command is transcribed, then answered by chat."""

from __future__ import annotations

from pathlib import Path

from bot.commands.voice import accepts_voice
from bot.core.models import Attachment, ChatRef, Invocation, UserRef
from bot.core.texts import t
from bot.sim import Fault
from bot.sim.media import make_mp3, make_ogg_opus
from tests.commands.conftest import Bot, body_of

TRANSCRIBE = "/v1/audio/transcriptions"
CHAT = "/v1/chat/completions"


def voice_file(tmp_path: Path, name: str = "note.ogg") -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(make_ogg_opus() if name.endswith(".ogg") else make_mp3())
    return path, f"(simulated) transcript of {name}, {path.stat().st_size} bytes"


async def test_a_voice_message_is_transcribed_then_answered(console: Bot, tmp_path: Path) -> None:
    path, heard = voice_file(tmp_path)
    out = await console.run(f"file:{path}", "and a typed follow-up")
    assert out.texts() == [
        t("voice.heard", text=heard),
        f"(simulated) gpt-4o-mini reply #1 to: {heard}",
        "(simulated) gpt-4o-mini reply #2 to: and a typed follow-up",
    ]
    remembered = [m["content"] for m in body_of(console.sim, CHAT)["messages"]]
    assert remembered[0] == heard  # the transcript is part of the conversation
    usage = await console.usage()
    assert usage["transcription"] == (1, 1) and usage["chat"] == (2, 2)


async def test_an_audio_file_with_a_caption_sends_both(console: Bot, tmp_path: Path) -> None:
    path, heard = voice_file(tmp_path, "memo.mp3")
    await console.run(f"summarise this file:{path}")
    assert body_of(console.sim, CHAT)["messages"][-1]["content"] == f"summarise this\n\n{heard}"


async def test_the_users_chat_model_answers(console: Bot, tmp_path: Path) -> None:
    path, _ = voice_file(tmp_path)
    await console.set_setting("chat_model", "gemini-pro")
    out = await console.run(f"file:{path}")
    assert body_of(console.sim, CHAT)["model"] == "gemini-pro"
    assert out.texts()[-1].startswith("(simulated) Gemini (gemini-pro) says:")


async def test_turned_off_in_settings_gives_a_hint_and_spends_nothing(
    console: Bot, tmp_path: Path
) -> None:
    path, _ = voice_file(tmp_path)
    out = await console.run("/settings", "!press Voice chat", f"file:{path}", f"hello file:{path}")
    assert out.texts()[1:] == [
        t("voice.off_user"),
        "(simulated) gpt-4o-mini reply #1 to: hello",  # the caption is still chatted about
    ]
    assert console.sim.requests_to(TRANSCRIBE) == []


async def test_turned_off_by_the_operator(console: Bot, tmp_path: Path) -> None:
    path, _ = voice_file(tmp_path)
    console.bot_options["voice_autochat"] = False
    out = await console.run(f"file:{path}")
    assert out.texts() == [t("voice.off_config")]
    assert console.sim.requests_to(TRANSCRIBE) == []


async def test_silence_and_relay_errors(console: Bot, tmp_path: Path) -> None:
    path, _ = voice_file(tmp_path)
    console.sim.add_fault(Fault("POST", TRANSCRIBE, status=200, json_body={"text": "  "}))
    silent = await console.run(f"file:{path}")
    console.sim.add_fault(Fault("POST", TRANSCRIBE, status=503))
    failed = await console.run(f"file:{path}")
    console.sim.add_fault(Fault("POST", CHAT, status=429, headers={"Retry-After": "4"}))
    chat_limited = await console.run(f"file:{path}")
    assert silent.texts() == [t("audio.no_speech")]
    assert failed.texts() == [t("error.no_channel")]
    assert chat_limited.texts()[-1] == t("error.rate_limited_retry", seconds=4)
    assert len(console.sim.requests_to(CHAT)) == 1


async def test_too_large_voice_is_refused_before_upload(console: Bot, tmp_path: Path) -> None:
    path, _ = voice_file(tmp_path)
    console.bot_options["max_download_mb"] = 0.0001
    out = await console.run(f"file:{path}")
    assert out.texts()[0].startswith("note.ogg is too large")
    assert console.sim.requests_to(TRANSCRIBE) == []


def _audio(kind: str) -> Attachment:
    async def reader(limit: int) -> bytes:
        return b""

    return Attachment(kind, "a.ogg", "audio/ogg", 0, reader)  # type: ignore[arg-type]


def test_only_private_chats_with_audio_are_taken() -> None:
    user = UserRef("u", "u")
    private, group = ChatRef("x", "1"), ChatRef("x", "2", is_private=False)
    assert accepts_voice(Invocation(user, private, attachments=(_audio("voice"),)))
    assert accepts_voice(Invocation(user, private, attachments=(_audio("audio"),)))
    assert not accepts_voice(Invocation(user, private, attachments=(_audio("image"),)))
    assert not accepts_voice(Invocation(user, private, text="hi"))
    mentioned = Invocation(user, group, attachments=(_audio("voice"),), mentioned=True)
    assert not accepts_voice(mentioned)
