"""Persistent buttons (also after a restart), autocomplete and rate limits."""

from __future__ import annotations

from typing import Any

from bot.config import AppConfig
from tests.discord.conftest import Running
from tests.fakes.clock import start_app
from tests.fakes.discord_api import FakeDiscord


def buttons_of(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        button["label"]: button
        for row in message["components"]
        for button in row["components"]
    }


async def show_models(dc: FakeDiscord) -> dict[str, Any]:
    asked = await dc.slash("model")
    await dc.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
    return dc.messages[asked.original_id or ""]


async def test_button_pressed_after_a_restart_still_works(
    dcbot: Running, config: AppConfig, dc: FakeDiscord
) -> None:
    message = await show_models(dc)
    button = buttons_of(message)["gpt-4o"]
    assert button["custom_id"].startswith("rb:") and len(button["custom_id"]) <= 100
    await dcbot.app.stop()

    restarted = await start_app(config, dcbot.clock)
    try:
        assert len(dc.identify) == 2
        pressed = await dc.click(message["id"], button["custom_id"])
        [answer] = await dc.wait_for("POST", f"/interactions/{pressed.id}/*/callback")
        assert answer.json["type"] == 7  # the message itself is updated
        assert "gpt-4o" in dc.messages[message["id"]]["content"]
        assert dc.messages[message["id"]]["components"] == []
        store = restarted.core.services.store
        conversation = await store.active_conversation("discord", dc.channel_id, "")
        assert conversation.model == "gpt-4o"
    finally:
        await restarted.stop()


async def test_someone_elses_button_is_refused_without_touching_the_message(
    dcbot: Running,
) -> None:
    fake = dcbot.fake
    message = await show_models(fake)
    before = dict(message)
    button = buttons_of(message)["gpt-4o"]
    pressed = await fake.click(message["id"], button["custom_id"], user=fake.other_user)
    [refusal] = await fake.wait_for("POST", f"/webhooks/*/{pressed.token}")
    assert "Only the person who ran the command" in (refusal.content or "")
    assert refusal.json["flags"] & 64  # ephemeral: only the presser sees it
    assert fake.messages[message["id"]]["content"] == before["content"]
    conversation = await dcbot.app.core.services.store.active_conversation(
        "discord", fake.channel_id, ""
    )
    assert conversation.model is None


async def test_model_option_autocompletes_from_the_configured_models(dcbot: Running) -> None:
    fake = dcbot.fake
    typing = await fake.slash("chat", {"prompt": "hi", "model": "4o"}, focused="model")
    [answer] = await fake.wait_for("POST", f"/interactions/{typing.id}/*/callback")
    assert answer.json["type"] == 8
    suggested = [c["value"] for c in answer.json["data"]["choices"]]
    assert suggested == ["gpt-4o-mini", "gpt-4o"]


async def test_rate_limited_answer_is_retried_after_retry_after(dcbot: Running) -> None:
    fake = dcbot.fake
    fake.fail("PATCH", "/webhooks/*/*/messages/@original", status=429, retry_after=0.01)
    asked = await fake.slash("reset")
    edits = await fake.wait_for(
        "PATCH", f"/webhooks/*/{asked.token}/messages/@original", 2
    )
    assert [c.status for c in edits] == [429, 200]
    assert fake.messages[asked.original_id or ""]["content"]
