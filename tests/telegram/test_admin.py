"""/admin on Telegram: allow, deny, grant and allowances are stored and apply at once and
after a restart; stats come with a PNG chart; everyone's jobs can be listed and cancelled."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from bot.app import App
from bot.config import AccessConfig, AppConfig, CreditsConfig
from bot.core.texts import t
from bot.sim import SimRelay
from bot.store import open_store
from tests.fakes.clock import Jobs, JumpingClock, start_app
from tests.fakes.telegram_api import FakeTelegram, TgChat, TgUser
from tests.telegram.conftest import Running

ALICE = "telegram:1001"  # the admin
LI = "telegram:1003"  # an admin whose Telegram app is in Chinese


@pytest.fixture
def config(config: AppConfig) -> AppConfig:
    return dataclasses.replace(
        config,
        access=AccessConfig(admins=frozenset({ALICE, LI})),
        credits=CreditsConfig(enabled=True, daily=20, cost={"mj_imagine": 8, "dalle": 5}),
    )


@pytest.fixture
def bob(tg: FakeTelegram) -> tuple[TgUser, TgChat]:
    user = tg.user(1002, "Bob")
    return user, tg.private_chat(user)


async def said(tgbot: Running, text: str, *, by: tuple[TgUser, TgChat] | None = None,
               containing: str = "") -> str:
    user, chat = by or (tgbot.alice, tgbot.dm)
    before = len(tgbot.fake.messages_in(chat))
    await tgbot.say(text, chat=chat, user=user)
    answer = await tgbot.answer(chat, after=before, containing=containing)
    await tgbot.adapter.settled()
    return answer.text


async def test_deny_and_allow_apply_at_once(
    tgbot: Running, bob: tuple[TgUser, TgChat], sim: SimRelay
) -> None:
    assert await said(tgbot, "/admin deny telegram:1002") == "Denied telegram:1002."
    assert await said(tgbot, "/chat hi", by=bob) == "Sorry, you are not allowed to use this bot."
    assert sim.requests_to("/v1/chat/completions") == []
    assert await said(tgbot, "/admin allow telegram:1002") == "Allowed telegram:1002."
    assert "simulated" in await said(tgbot, "/chat hi", by=bob, containing="simulated")


async def test_rules_another_process_stores_apply_to_the_next_message(
    tgbot: Running, bob: tuple[TgUser, TgChat], config: AppConfig, clock: JumpingClock,
    sim: SimRelay,
) -> None:
    # What a second bot process sharing the database stores is read by this one's next
    # event: nothing about access, allowances or questions is kept between events.
    other = await open_store(config.storage, clock=clock)
    try:
        await other.set_access_rule("telegram:1002", "deny", at=clock())
        assert await said(tgbot, "/chat hi", by=bob) == (
            "Sorry, you are not allowed to use this bot.")
        assert sim.requests_to("/v1/chat/completions") == []
        await other.set_access_rule("telegram:1002", "allow", at=clock())
        await other.set_allowance("telegram:1002", 4, at=clock())
        assert "/dalle costs 5 credits; you have 4 left" in await said(
            tgbot, "/dalle a fox", by=bob, containing="costs")
        await other.set_allowance("telegram:1002", 5, at=clock())
        assert "a fox" in await said(tgbot, "/dalle a fox", by=bob, containing="a fox")
    finally:
        await other.close()


async def test_everyone_else_is_refused_and_bad_input_is_explained(
    tgbot: Running, bob: tuple[TgUser, TgChat]
) -> None:
    assert await said(tgbot, "/admin deny telegram:1001", by=bob) == (
        "Only the bot's admins may use /admin."
    )
    assert await said(tgbot, "/admin deny bob") == (
        "“bob” is not an identity: write telegram:<id> or discord:<id>."
    )
    assert "needs one of: allow, deny, grant" in await said(tgbot, "/admin frobnicate")
    assert "credits" in await said(tgbot, "/admin grant telegram:1002")


@pytest.fixture
async def restartable(tgbot: Running) -> AsyncIterator[list[App]]:
    """Apps a test starts after stopping the first; stopped at the end."""
    started: list[App] = []
    yield started
    for app in started:
        await app.stop()


async def test_admin_changes_survive_a_restart(
    tgbot: Running, bob: tuple[TgUser, TgChat], config: AppConfig, clock: JumpingClock,
    restartable: list[App],
) -> None:
    await said(tgbot, "/admin deny telegram:1002")
    await said(tgbot, "/admin grant telegram:1001 50", containing="Granted")
    await said(tgbot, "/admin allowance telegram:1001 5", containing="5 credits a day")
    await tgbot.app.stop()

    app = await start_app(config, clock)
    restartable.append(app)
    tgbot.app = app
    assert await said(tgbot, "/chat hi", by=bob) == "Sorry, you are not allowed to use this bot."
    usage = await said(tgbot, "/usage", containing="Left")
    for line in ("Daily allowance: 5", "Extra credits: 50", "Left: 55"):
        assert line in usage


async def test_granted_credits_are_spent_after_the_allowance(tgbot: Running) -> None:
    await said(tgbot, "/admin allowance telegram:1001 10")
    await said(tgbot, "/admin grant telegram:1001 6")
    await said(tgbot, "/dalle one", containing="one")
    await said(tgbot, "/dalle two", containing="two")
    await said(tgbot, "/dalle three", containing="three")
    assert "/dalle costs 5 credits; you have 1 left" in await said(tgbot, "/dalle four",
                                                                   containing="costs")
    usage = await said(tgbot, "/usage", containing="Left")
    assert "Extra credits: 1" in usage and "Charged today: 15" in usage


async def test_stats_summarise_the_days_with_a_png_chart(
    tgbot: Running, bob: tuple[TgUser, TgChat], jobs: Jobs
) -> None:
    await said(tgbot, "/dalle a lighthouse", containing="lighthouse")
    await said(tgbot, "/imagine a fox", by=bob, containing="a fox")
    for _ in range(3):
        await jobs.tick()
    await tgbot.say("/admin stats 3")
    chart = await tgbot.answer(
        after=len(tgbot.fake.messages_in(tgbot.dm)), containing="Last 3 days"
    )
    assert chart.kind == "photo" and chart.file is not None
    data = chart.file.data
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # decodes every pixel: a truncated file fails here
        assert image.format == "PNG" and image.size == (800, 400)
    text = chart.text
    assert "13 credits, 2 uses, 0 refunded" in text
    assert f"{t('capability.image', 'en')}: 5 credits, 1 uses" in text
    assert "Midjourney: 8 credits, 1 uses" in text
    assert text.index("telegram:1002: 8 credits") < text.index("telegram:1001: 5 credits")


async def test_stats_name_what_was_used_in_the_admins_language(tgbot: Running) -> None:
    await said(tgbot, "/dalle a lighthouse", containing="lighthouse")
    li = tgbot.fake.user(1003, "Li", language_code="zh-CN")
    text = await said(tgbot, "/admin stats 3", by=(li, tgbot.fake.private_chat(li)),
                      containing=t("admin.stats_header", "zh", days=3))
    assert f"{t('capability.image', 'zh')}：5 额度" in text
    assert "image" not in text


async def test_admins_list_and_cancel_everyones_jobs(
    tgbot: Running, bob: tuple[TgUser, TgChat], jobs: Jobs, sim: SimRelay
) -> None:
    assert await said(tgbot, "/admin jobs") == "No job is running."
    await said(tgbot, "/imagine a slow owl", by=bob, containing="a slow owl")
    [task_id] = sim.mj_task_ids()
    sim.set_mj_task_status(task_id, "SUBMITTED")
    listing = await said(tgbot, "/admin jobs", containing="Running jobs")
    assert "telegram:1002" in listing and "a slow owl" in listing
    [job] = await tgbot.app.core.services.store.list_active_jobs()
    await said(tgbot, f"/admin cancel {job.id}", containing=f"#{job.id}")
    assert len(sim.requests_to("/mj/task/*/cancel")) == 1
    await jobs.tick()
    await jobs.tick()
    entries = await tgbot.app.core.services.store.ledger_entries("telegram:1002")
    assert [e.kind for e in entries] == ["reserve", "refund"]
