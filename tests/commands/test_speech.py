"""/tts: a voice message where the platform has them, else an mp3 file."""

from __future__ import annotations

from dataclasses import replace

from adapters.console.adapter import console_limits
from bot.core.texts import t
from bot.sim import Fault
from tests.commands.conftest import Bot, body_of, file_bytes

PATH = "/v1/audio/speech"
USAGE = "/tts <text> [voice=…] [speed=…]"


async def test_tts_is_a_voice_message_where_the_platform_has_them(console: Bot) -> None:
    out = await console.run("/tts Hello there voice=Nova speed=1.5")
    body = body_of(console.sim, PATH)
    assert body == {"model": "tts-1", "input": "Hello there", "voice": "nova",
                    "response_format": "opus", "speed": 1.5}
    [message] = out.messages()
    assert message["text"] == t("tts.caption", voice="nova")
    [attachment] = message["attachments"]
    assert attachment["kind"] == "voice" and attachment["path"].endswith(".ogg")
    assert (await file_bytes(attachment["path"])).startswith(b"OggS")
    assert await console.usage() == {"speech": (1, len("Hello there"))}


async def test_tts_is_an_mp3_file_elsewhere(console: Bot) -> None:
    console.limits = replace(console_limits(0.0), voice_messages=False)
    out = await console.run("/tts Hello")
    body = body_of(console.sim, PATH)
    assert body["response_format"] == "mp3" and "speed" not in body
    [attachment] = out.attachments()
    assert attachment["kind"] == "audio" and attachment["path"].endswith(".mp3")
    data = await file_bytes(attachment["path"])
    assert data.startswith(b"ID3") or data[:2] == b"\xff\xfb"


async def test_the_voice_defaults_to_the_users_setting(console: Bot) -> None:
    await console.set_setting("voice", "onyx")
    out = await console.run("/tts Hello")
    assert body_of(console.sim, PATH)["voice"] == "onyx"
    assert out.texts() == [t("tts.caption", voice="onyx")]


async def test_a_stale_setting_falls_back_to_the_default_voice(console: Bot) -> None:
    await console.set_setting("voice", "robot")
    await console.run("/tts Hello")
    assert body_of(console.sim, PATH)["voice"] == "alloy"


async def test_input_checks(console: Bot) -> None:
    too_long = "x" * 4097
    out = await console.run(
        "/tts", "/tts hi voice=bob", "/tts hi speed=5", "/tts hi speed=fast", f"/tts {too_long}"
    )
    assert out.texts() == [
        t("input.missing", option="text", usage=USAGE),
        t("input.unknown_choice", option="voice", value="bob",
          allowed="alloy, echo, fable, onyx, nova, shimmer"),
        t("input.too_big", option="speed", maximum="4"),
        t("input.not_a_number", option="speed", value="fast"),
        t("input.too_long", option="text", length=4097, limit=4096),
    ]
    assert console.sim.requests_to(PATH) == []


async def test_relay_errors(console: Bot) -> None:
    console.sim.add_fault(Fault("POST", PATH, status=429, headers={"Retry-After": "1.2"}))
    limited = await console.run("/tts hi")
    console.sim.add_fault(Fault("POST", PATH, status=503))
    no_channel = await console.run("/tts hi")
    assert limited.texts() == [t("error.rate_limited_retry", seconds=2)]
    assert no_channel.texts() == [t("error.no_channel")]
    assert limited.attachments() == no_channel.attachments() == []
