"""One press, one action: fifty presses of one U1, on each platform, make one paid
``/mj/submit/action`` call; the other presses are told it is being worked on, a press
after the result says it is done, and the result arrives once. Such answers point at the
job's progress message or result: a link on Discord, a reply on it on Telegram."""

from __future__ import annotations

import asyncio

from telegram import Chat

from adapters.telegram.convert import message_link, public_name
from bot.commands.presses import REPLY_WINDOW_S
from bot.core.models import ChatRef, MessageRef
from bot.sim import Fault, SimRelay
from bot.store import open_store
from tests.discord.test_buttons import buttons_of
from tests.e2e.harness import Operator
from tests.e2e.test_scale_out import until
from tests.fakes.telegram_api import BotMessage

PRESSES = 50


def _hold_actions(sim: SimRelay) -> asyncio.Event:
    """The relay creates the upscale at once but answers only when released: every other
    press arrives while the first one is still waiting for the relay."""
    release = asyncio.Event()
    sim.add_fault(Fault("POST", "/mj/submit/action", hold=release, times=None))
    return release


async def test_fifty_telegram_presses_make_one_relay_call(
    operator: Operator, sim: SimRelay
) -> None:
    tg = operator.tg
    await operator.tg_say("/imagine a lighthouse")
    await operator.tick(3)
    [grid] = operator.tg_results()
    release = _hold_actions(sim)
    answered = len(tg.sent("answerCallbackQuery"))
    for _ in range(PRESSES):
        tg.press(operator.alice, grid, "U1")
    await sim.wait_for_requests("/mj/submit/action", 1)
    release.set()
    await tg.wait_for("answerCallbackQuery", answered + PRESSES, wait_s=30)
    await operator.telegram.settled()
    assert len(sim.requests_to("/mj/submit/action")) == 1
    toasts = [c.params.get("text", "") for c in tg.sent("answerCallbackQuery")[answered:]]
    assert sum("Already working on it" in text for text in toasts) == PRESSES - 1

    await operator.tick(3)
    upscaled = [m for m in operator.tg_results() if m.message_id != grid.message_id]
    assert len(upscaled) == 1, "the upscale is delivered once"
    tg.press(operator.alice, grid, "U1")
    [*_, done] = await tg.wait_for("answerCallbackQuery", answered + PRESSES + 1)
    assert "Already done" in done.params["text"]
    assert len(sim.requests_to("/mj/submit/action")) == 1


async def test_fifty_discord_presses_make_one_relay_call(operator: Operator, sim: SimRelay) -> None:
    dc = operator.dc
    await operator.dc_slash("imagine", {"prompt": "a windmill"})
    await operator.tick(3)
    [grid] = operator.dc_results()
    u1 = buttons_of(grid)["U1"]["custom_id"]
    release = _hold_actions(sim)
    clicks = [asyncio.ensure_future(dc.click(grid["id"], u1)) for _ in range(PRESSES)]
    await sim.wait_for_requests("/mj/submit/action", 1)
    release.set()
    pressed = await asyncio.gather(*clicks)
    notices = await dc.wait_for(
        "POST", "/webhooks/*/*", PRESSES - 1, timeout_s=30,
        where=lambda c: "Already working on it" in (c.content or ""),
    )
    assert all(n.json["flags"] & 64 for n in notices), "only the presser sees them"
    assert len({p.token for p in pressed}) == PRESSES
    assert len(sim.requests_to("/mj/submit/action")) == 1

    await operator.tick(3)
    assert len(operator.dc_results()) == 2, "the grid and one upscale"
    again = await dc.click(grid["id"], u1)
    [done] = await dc.wait_for("POST", f"/webhooks/*/{again.token}")
    assert "Already done" in (done.content or "")
    assert len(sim.requests_to("/mj/submit/action")) == 1


# -- pressing a taken button points at the job's messages -------------------------------


async def test_telegram_presses_on_a_taken_button_get_one_reply_on_its_message(
    operator: Operator, sim: SimRelay
) -> None:
    """A Telegram toast cannot carry a link: the toast says where to look, and one reply
    on the progress message, then on the result, leads there (a tap on its quote). More
    presses within the window add no reply; after it, one more."""
    tg = operator.tg
    await operator.tg_say("/imagine a lighthouse")
    await operator.tick(3)
    [grid] = operator.tg_results()
    await operator.tg_press(grid, "U1")
    [status] = [m for m in tg.messages_in(operator.dm) if m.kind == "text" and "· U1" in m.text]

    await operator.tg_press(grid, "U1")
    assert "I replied to its progress message" in _last_toast(operator)
    [working] = _replies_to(operator, status.message_id)
    assert "is in progress here" in working.text

    await operator.tick(3)
    [upscaled] = [m for m in operator.tg_results() if m.message_id != grid.message_id]
    for _ in range(3):
        await operator.tg_press(grid, "U1")
        assert "Already done" in _last_toast(operator)
        assert "I replied to its result" in _last_toast(operator)
    [here] = _replies_to(operator, upscaled.message_id)
    assert "Here is the result of job #" in here.text
    assert len(_replies_to(operator, status.message_id)) == 1

    operator.clock.now += REPLY_WINDOW_S + 1
    await operator.tg_press(grid, "U1")
    assert len(_replies_to(operator, upscaled.message_id)) == 2, "a new window, a new reply"
    assert len(sim.requests_to("/mj/submit/action")) == 1


async def test_discord_presses_on_a_taken_button_link_to_its_messages(
    operator: Operator, sim: SimRelay
) -> None:
    """Discord answers privately with the jump URL of the progress message, then of the
    result: guild, channel and message ids as the client opens them; nothing is posted."""
    dc = operator.dc
    await operator.dc_slash("imagine", {"prompt": "a windmill"})
    await operator.tick(3)
    [grid] = operator.dc_results()
    u1 = buttons_of(grid)["U1"]["custom_id"]
    await dc.click(grid["id"], u1)
    await _status_stored(operator, "discord", dc.user["id"])
    channel = f"https://discord.com/channels/{dc.guild_id}/{dc.channel_id}/"

    working = await _click_notice(operator, grid["id"], u1)
    assert "Already working on it" in working and channel in working
    status_id = working.rsplit("/", 1)[-1]
    assert status_id in dc.messages and status_id != grid["id"]

    await operator.tick(3)
    [upscaled] = [m for m in operator.dc_results() if m["id"] != grid["id"]]
    posted = len(_public(operator))
    for _ in range(2):
        done = await _click_notice(operator, grid["id"], u1)
        assert "Already done" in done
        assert done.endswith(f"{channel}{upscaled['id']}")
    assert len(_public(operator)) == posted, "links, not replies"
    assert len(sim.requests_to("/mj/submit/action")) == 1


async def test_telegram_links_to_messages_of_supergroups_and_public_chats(
    operator: Operator,
) -> None:
    """The t.me links a Telegram notice outside a toast can carry: a supergroup's by its
    internal id, a public group's by its @name; private chats and basic groups have none."""
    responder = operator.telegram.responder_for(ChatRef("telegram", "-1001234567"))
    assert responder.link_to(MessageRef("-1001234567", "42m")) == "https://t.me/c/1234567/42"
    private = operator.telegram.responder_for(ChatRef("telegram", "1001"))
    assert private.link_to(MessageRef("1001", "42")) is None
    basic = operator.telegram.responder_for(ChatRef("telegram", "-4567"))
    assert basic.link_to(MessageRef("-4567", "42")) is None
    assert public_name(Chat(-1001234567, Chat.SUPERGROUP, username="lighthouses")) == "lighthouses"
    assert public_name(Chat(1001, Chat.PRIVATE, username="alice")) is None
    assert message_link(MessageRef("-1001234567", "42r7"), "lighthouses") == (
        "https://t.me/lighthouses/42"
    )


async def _status_stored(operator: Operator, platform: str, user_id: str) -> None:
    """Until the second job's (the upscale's) status message is recorded: it is sent,
    then stored, so seeing it is not enough."""
    store = await open_store(operator.app.config.storage)

    async def stored() -> bool:
        jobs = await store.list_jobs_for_owner(platform, user_id)  # newest first
        return len(jobs) == 2 and jobs[0].status_message_ref is not None

    try:
        await until(stored, 10, "the status message of the upscale")
    finally:
        await store.close()


def _public(operator: Operator) -> list[dict[str, object]]:
    """The bot's Discord messages everyone sees (not private notices)."""
    return [m for m in operator.dc_bot_messages() if not int(m.get("flags") or 0) & 64]


def _last_toast(operator: Operator) -> str:
    return str(operator.tg.sent("answerCallbackQuery")[-1].params.get("text", ""))


def _replies_to(operator: Operator, message_id: int) -> list[BotMessage]:
    return [m for m in operator.tg.messages_in(operator.dm)
            if m.reply_to == message_id and m.kind == "text"]


async def _click_notice(operator: Operator, message_id: str, custom_id: str) -> str:
    """Click and return the private notice the presser sees."""
    clicked = await operator.dc.click(message_id, custom_id)
    [notice] = await operator.dc.wait_for("POST", f"/webhooks/*/{clicked.token}")
    assert notice.json["flags"] & 64, "only the presser sees it"
    return notice.content or ""
