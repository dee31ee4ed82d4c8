"""/settings: the user's defaults with buttons; other commands read them."""

from __future__ import annotations

from bot.core.texts import t
from tests.commands.conftest import Bot, body_of

OVERVIEW_BUTTONS = [
    "Language: Automatic",
    "Chat model: gpt-4o-mini",
    "TTS voice: alloy",
    "MJ mode: fast",
    "MJ bot: mj",
    "DALL·E size: 1024x1024",
    "Voice chat: on",
]


async def test_settings_shows_every_default_with_a_button(console: Bot) -> None:
    out = await console.run("/settings")
    [message] = out.messages()
    assert message["text"].startswith(t("settings.header"))
    assert t("settings.line", name="TTS voice", value="alloy") in message["text"]
    assert t("settings.line", name="MJ mode", value="fast") in message["text"]
    assert out.buttons() == OVERVIEW_BUTTONS
    assert [len(row) for row in message["buttons"]] == [2, 2, 2, 1]


async def test_choosing_a_voice_is_stored_and_used_by_tts(console: Bot) -> None:
    out = await console.run("/settings", "!press TTS", "!press nova", "/tts hello")
    chooser = out.events[1]
    assert chooser["event"] == "edit" and chooser["message_id"] == out.events[0]["message_id"]
    assert chooser["text"] == t("settings.choose", name="TTS voice", value="alloy")
    labels = [label for row in chooser["buttons"] for label in row]
    assert labels == ["✅ alloy", "echo", "fable", "onyx", "nova", "shimmer", "↩️ Back"]
    overview = out.events[2]
    assert "TTS voice: nova" in [label for row in overview["buttons"] for label in row]
    assert await console.settings() == {"voice": "nova"}
    assert body_of(console.sim, "/v1/audio/speech")["voice"] == "nova"


async def test_back_leaves_the_setting_unchanged(console: Bot) -> None:
    out = await console.run("/settings", "!press Chat model", "!press Back")
    assert out.texts()[0].startswith(t("settings.header"))
    assert out.buttons() == OVERVIEW_BUTTONS
    assert await console.settings() == {}


async def test_short_lists_cycle_on_each_press(console: Bot) -> None:
    out = await console.run(
        "/settings", "!press mode", "!press mode", "!press bot", "!press size", "!press Voice chat"
    )
    assert out.buttons() == [
        "Language: Automatic",
        "Chat model: gpt-4o-mini",
        "TTS voice: alloy",
        "MJ mode: turbo",
        "MJ bot: niji",
        "DALL·E size: 1792x1024",
        "Voice chat: off",
    ]
    assert await console.settings() == {
        "mj_mode": "turbo", "mj_bot": "niji", "dalle_size": "1792x1024", "voice_chat": "off",
    }


async def test_the_dalle_size_setting_is_used(console: Bot) -> None:
    await console.run("/settings", "!press size", "/dalle a wide view")
    assert body_of(console.sim, "/v1/images/generations")["size"] == "1792x1024"


async def test_a_chat_model_pick_is_remembered_across_runs(console: Bot) -> None:
    await console.run("/settings", "!press Chat model", "!press gpt-4o")
    out = await console.run("/settings")
    assert "Chat model: gpt-4o" in out.buttons()


async def test_voice_chat_is_hidden_when_the_operator_turned_it_off(console: Bot) -> None:
    console.bot_options["voice_autochat"] = False
    out = await console.run("/settings")
    assert out.buttons() == OVERVIEW_BUTTONS[:-1]
    assert "Voice chat" not in out.texts()[0]


async def test_choosing_chinese_answers_in_chinese_from_then_on(console: Bot) -> None:
    out = await console.run("/settings", "!press Language", "!press 简体中文", "/help")
    chooser = out.events[1]
    labels = [label for row in chooser["buttons"] for label in row]
    assert labels == ["✅ Automatic", "English", "简体中文", "↩️ Back"]
    overview = out.events[2]  # shown again in the language just chosen
    assert overview["text"].startswith(t("settings.header", "zh"))
    assert "语言：简体中文" in [label for row in overview["buttons"] for label in row]
    assert "语音对话：开" in [label for row in overview["buttons"] for label in row]
    assert "• 语音对话：开" in overview["text"].splitlines()
    assert out.texts()[-1].startswith(t("help.header", "zh"))
    assert await console.settings() == {"language": "zh"}

    out = await console.run("/settings", "!press 语音对话")
    assert "语音对话：关" in out.buttons()

    out = await console.run("/settings", "!press 语言", "!press 自动", "/help")
    assert out.texts()[-1].startswith(t("help.header", "en"))
    assert await console.settings() == {"language": "auto", "voice_chat": "off"}
