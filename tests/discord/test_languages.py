"""The language follows the Discord client (interaction.locale) unless the user chose one
in /settings; slash commands carry Chinese description_localizations."""

from __future__ import annotations

from typing import Any

from bot.core.texts import t
from bot.sim import SimRelay
from tests.discord.conftest import Running
from tests.fakes.discord_api import FakeDiscord


async def _answer_to(fake: FakeDiscord, name: str, locale: str = "en-US",
                     options: dict[str, Any] | None = None) -> dict[str, Any]:
    asked = await fake.slash(name, options, locale=locale)
    await fake.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    return fake.messages[asked.original_id or ""]


def _labels(message: dict[str, Any]) -> dict[str, str]:
    return {b["label"]: b["custom_id"] for row in message["components"]
            for b in row["components"]}


async def test_a_chinese_client_gets_chinese_answers(dcbot: Running) -> None:
    answer = await _answer_to(dcbot.fake, "help", locale="zh-CN")
    assert answer["content"].startswith(t("help.header", "zh"))
    assert "— 用 Midjourney 绘图" in answer["content"]
    answer = await _answer_to(dcbot.fake, "help", locale="en-GB")
    assert answer["content"].startswith("Here is what I can do")


async def test_settings_override_the_client_language(dcbot: Running) -> None:
    fake = dcbot.fake
    menu = await _answer_to(fake, "settings", locale="zh-TW")
    assert menu["content"].startswith("⚙️ 你的设置")
    pressed = await fake.click(menu["id"], _labels(menu)["语言：自动"], locale="zh-TW")
    await fake.wait_for("POST", f"/interactions/{pressed.id}/*/callback")
    chooser = fake.messages[menu["id"]]
    pressed = await fake.click(menu["id"], _labels(chooser)["English"], locale="zh-TW")
    await fake.wait_for("POST", f"/interactions/{pressed.id}/*/callback")
    assert "Language: English" in _labels(fake.messages[menu["id"]])
    answer = await _answer_to(fake, "help", locale="zh-TW")
    assert answer["content"].startswith("Here is what I can do")


async def test_commands_carry_chinese_description_localizations(dcbot: Running) -> None:
    await dcbot.adapter.sync_commands()
    fake = dcbot.fake
    [call] = fake.calls_to("PUT", f"/applications/{fake.application_id}/guilds/*/commands")
    by_name = {c["name"]: c for c in call.json}
    imagine = by_name["imagine"]
    assert imagine["description"] == "Create images with Midjourney"
    assert imagine["description_localizations"]["zh-CN"] == "用 Midjourney 绘图"
    assert imagine["description_localizations"]["zh-TW"] == "用 Midjourney 绘图"
    assert "en-US" not in imagine["description_localizations"]  # the default already is
    prompt = {o["name"]: o for o in imagine["options"]}["prompt"]
    assert prompt["description_localizations"]["zh-CN"].startswith("要画什么")
    for command in call.json:
        localized = command["description_localizations"]["zh-CN"]
        assert 0 < len(localized) <= 100 and localized != command["description"]


async def test_fixed_choices_show_names_in_both_languages_and_send_raw_values(
    dcbot: Running, sim: SimRelay
) -> None:
    await dcbot.adapter.sync_commands()
    fake = dcbot.fake
    [call] = fake.calls_to("PUT", f"/applications/{fake.application_id}/guilds/*/commands")
    imagine = {c["name"]: c for c in call.json}["imagine"]
    mode = {o["name"]: o for o in imagine["options"]}["mode"]
    relax = {c["value"]: c for c in mode["choices"]}["relax"]
    assert relax["name"] == "Relax (slower, cheaper)"
    assert relax["name_localizations"]["zh-CN"] == "慢速（更便宜）"
    voice = {o["name"]: o for o in {c["name"]: c for c in call.json}["tts"]["options"]}["voice"]
    assert all(c["name"] == c["value"] for c in voice["choices"])  # names, not translated
    asked = await fake.slash("imagine", {"prompt": "a castle", "mode": "relax"})
    await fake.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    assert len(sim.requests_to("/mj-relax/mj/submit/imagine")) == 1  # the raw value, relax
