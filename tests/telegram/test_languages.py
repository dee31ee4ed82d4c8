"""The language follows the user's Telegram app (language_code), unless they chose one in
/settings; the command menu exists in every language."""

from __future__ import annotations

from bot.core.texts import t
from tests.telegram.conftest import Running


async def test_a_chinese_app_gets_chinese_answers_and_errors(tgbot: Running) -> None:
    li = tgbot.fake.user(1003, "Li", language_code="zh-hans")
    dm = tgbot.fake.private_chat(li)
    await tgbot.say("/help", chat=dm, user=li)
    await tgbot.answer(dm, containing="我可以做这些")
    await tgbot.say("/nosuch", chat=dm, user=li)
    await tgbot.answer(dm, after=1, containing="没有 /nosuch 这个命令")
    await tgbot.say("/help", user=tgbot.alice)  # Alice's app is English
    await tgbot.answer(containing="Here is what I can do")


async def test_settings_override_the_app_language(tgbot: Running) -> None:
    fake = tgbot.fake
    li = fake.user(1003, "Li", language_code="zh-CN")
    dm = fake.private_chat(li)
    await tgbot.say("/settings", chat=dm, user=li)
    menu = await tgbot.answer(dm, containing="你的设置")
    fake.press(li, menu, "语言：自动")
    await fake.wait_until(lambda: "English" in menu.labels, what="the language chooser")
    fake.press(li, menu, "English")
    await fake.wait_until(lambda: "Language: English" in menu.labels,
                          what="the overview, now in English")
    assert menu.text.startswith(t("settings.header", "en"))
    await tgbot.say("/help", chat=dm, user=li)
    await tgbot.answer(dm, after=1, containing="Here is what I can do")


async def test_the_command_menu_is_set_once_per_language(tgbot: Running) -> None:
    calls = tgbot.fake.sent("setMyCommands")
    by_language = {
        c.params.get("language_code"): {d["command"]: d["description"]
                                        for d in c.params["commands"]}
        for c in calls
    }
    assert set(by_language) == {None, "en", "zh"} and len(calls) == 3
    assert by_language[None]["help"] == t("cmd.help", "en")  # [bot] locale = "en"
    assert by_language["en"]["help"] == "List every command"
    assert by_language["zh"]["help"] == "列出所有命令"
    assert by_language["zh"]["imagine"] == "用 Midjourney 绘图"
    assert set(by_language["zh"]) == set(by_language[None])


async def test_a_restart_sends_no_unchanged_menu(tgbot: Running) -> None:
    await tgbot.adapter.stop()
    await tgbot.adapter.start()
    assert len(tgbot.fake.sent("setMyCommands")) == 3  # getMyCommands matched every language
