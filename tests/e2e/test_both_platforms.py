"""One bot, two platforms: Telegram and Discord served by the same App, event loop,
SQLite file and job tracker, without ever mixing up whose answer goes where."""

from __future__ import annotations

from bot.sim import SimRelay
from tests.discord.test_buttons import buttons_of
from tests.e2e.harness import Operator

GRID = ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]


async def test_both_platforms_start_in_one_app(operator: Operator) -> None:
    assert set(operator.app.adapters) == {"telegram", "discord"}
    assert operator.tg.sent("getMe"), "Telegram is connected"
    assert len(operator.dc.identify) == 1, "Discord is connected to the gateway"
    assert operator.tg.sent("setMyCommands"), "Telegram users see the command menu"


async def test_chat_on_each_platform_is_answered_in_its_own_conversation(
    operator: Operator, sim: SimRelay
) -> None:
    await operator.tg_say("/chat my name is Tom")
    first_on_discord = await operator.dc_chat("what is my name?")
    await operator.tg_say("/chat and who am I?")

    tg_answers = [m.text for m in operator.tg.messages_in(operator.dm)]
    assert "reply #1 to: my name is Tom" in tg_answers[0]
    assert "reply #2 to: and who am I?" in tg_answers[1], "Telegram remembers its own turn"
    assert "reply #1 to: what is my name?" in first_on_discord, "Discord starts fresh"
    assert not any("what is my name" in text for text in tg_answers)

    sent = [str(r.json["messages"]) for r in sim.requests_to("/v1/chat/completions")]
    discord_request = next(text for text in sent if "what is my name?" in text)
    assert "Tom" not in discord_request, "Telegram's history never reaches Discord's chat"
    assert "what is my name" not in sent[-1], "nor the other way round"
    store = operator.app.core.services.store
    on_telegram = await store.active_conversation("telegram", str(operator.dm.id), "")
    on_discord = await store.active_conversation("discord", operator.dc.channel_id, "")
    assert on_telegram.id != on_discord.id


async def test_imagine_results_reach_their_own_platform_exactly_once(
    operator: Operator, sim: SimRelay
) -> None:
    await operator.tg_say("/imagine a red fox")
    asked = await operator.dc_slash("imagine", {"prompt": "a blue whale"})
    assert len(sim.requests_to("/mj/submit/imagine")) == 2

    await operator.tick(5)  # the simulated jobs finish after two polls; later ticks must not resend

    [tg_result] = operator.tg_results()
    assert "a red fox" in tg_result.text and "a blue whale" not in tg_result.text
    assert tg_result.labels == GRID
    assert tg_result.file is not None and tg_result.file.data.startswith(b"\x89PNG")
    # One photo is the status message (replaced by a photo to show the progress preview).
    results_sent = [c for c in operator.tg.sent("sendPhoto") if "reply_markup" in c.params]
    assert len(results_sent) == 1

    [dc_result] = operator.dc_results()
    shown = operator.dc_text(dc_result["id"])
    assert "a blue whale" in shown and "a red fox" not in shown
    assert list(buttons_of(dc_result)) == GRID
    assert dc_result["attachments"][0]["content_type"] == "image/png"
    assert dc_result["message_reference"]["message_id"] == asked.original_id
    assert len(operator.dc.calls_to("POST", f"/channels/{operator.dc.channel_id}/messages")) == 1

    store = operator.app.core.services.store
    assert await store.list_active_jobs() == [], "both jobs are finished"
    assert await store.list_due_deliveries() == [], "and delivered"
