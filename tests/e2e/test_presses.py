"""One press, one action: fifty presses of one U1, on each platform, make one paid
``/mj/submit/action`` call; the other presses are told it is being worked on, a press
after the result says it is done, and the result arrives once."""

from __future__ import annotations

import asyncio

from bot.sim import Fault, SimRelay
from tests.discord.test_buttons import buttons_of
from tests.e2e.harness import Operator

PRESSES = 50


def _hold_actions(sim: SimRelay) -> asyncio.Event:
    """The relay creates the upscale at once but answers only when released: every other
    press arrives while the first one is still waiting for the relay."""
    release = asyncio.Event()
    sim.add_fault(Fault("POST", "/mj/submit/action", hold=release, times=None))
    return release


async def test_fifty_telegram_presses_make_one_relay_call(bot: Operator, sim: SimRelay) -> None:
    tg = bot.tg
    await bot.tg_say("/imagine a lighthouse")
    await bot.tick(3)
    [grid] = bot.tg_results()
    release = _hold_actions(sim)
    answered = len(tg.sent("answerCallbackQuery"))
    for _ in range(PRESSES):
        tg.press(bot.alice, grid, "U1")
    await sim.wait_for_requests("/mj/submit/action", 1)
    release.set()
    await tg.wait_for("answerCallbackQuery", answered + PRESSES, wait_s=30)
    await bot.telegram.settled()
    assert len(sim.requests_to("/mj/submit/action")) == 1
    toasts = [c.params.get("text", "") for c in tg.sent("answerCallbackQuery")[answered:]]
    assert sum("Already working on it" in text for text in toasts) == PRESSES - 1

    await bot.tick(3)
    upscaled = [m for m in bot.tg_results() if m.message_id != grid.message_id]
    assert len(upscaled) == 1, "the upscale is delivered once"
    tg.press(bot.alice, grid, "U1")
    [*_, done] = await tg.wait_for("answerCallbackQuery", answered + PRESSES + 1)
    assert "Already done" in done.params["text"]
    assert len(sim.requests_to("/mj/submit/action")) == 1


async def test_fifty_discord_presses_make_one_relay_call(bot: Operator, sim: SimRelay) -> None:
    dc = bot.dc
    await bot.dc_slash("imagine", {"prompt": "a windmill"})
    await bot.tick(3)
    [grid] = bot.dc_results()
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

    await bot.tick(3)
    assert len(bot.dc_results()) == 2, "the grid and one upscale"
    again = await dc.click(grid["id"], u1)
    [done] = await dc.wait_for("POST", f"/webhooks/*/{again.token}")
    assert "Already done" in (done.content or "")
    assert len(sim.requests_to("/mj/submit/action")) == 1
