"""Updates by webhook instead of polling: setWebhook with a secret, updates posted to
our server are answered, posts without the secret are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from adapters.telegram import TelegramAdapter, TelegramSettings, WebhookSettings
from bot.config import AppConfig
from bot.runtime import open_core
from tests.fakes.clock import JumpingClock
from tests.fakes.telegram_api import FakeTelegram

SECRET = "s3cret-token"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@asynccontextmanager
async def webhook_adapter(
    config: AppConfig, clock: JumpingClock, hook: WebhookSettings
) -> AsyncIterator[str]:
    """Start the Telegram adapter taking updates by webhook; yield the URL it listens on."""
    assert config.telegram is not None
    async with open_core(config, clock=clock, sleep=clock.sleep) as core:
        adapter = TelegramAdapter(config.telegram, core.dispatcher,
                                  settings=TelegramSettings(webhook=hook),
                                  clock=clock, sleep=clock.sleep)
        await adapter.start()
        try:
            yield f"http://127.0.0.1:{adapter.webhook_port}/telegram"
        finally:
            await adapter.stop()


async def test_webhook_updates_are_answered(
    config: AppConfig, tg: FakeTelegram, clock: JumpingClock, session: aiohttp.ClientSession
) -> None:
    hook = WebhookSettings("https://bot.example.org/telegram", listen_port=0, secret_token=SECRET)
    async with webhook_adapter(config, clock, hook) as url:
        [registered] = tg.sent("setWebhook")
        assert registered.params["url"] == hook.url
        assert registered.params["secret_token"] == SECRET
        alice = tg.user()
        chat = tg.private_chat(alice)
        message = tg.send_text(chat, alice, "/help")
        update = {"update_id": 99, "message": message}
        async with session.post(url, json=update) as refused:
            assert refused.status == 403
        headers = {SECRET_HEADER: SECRET}
        async with session.post(url, json=update, headers=headers) as accepted:
            assert accepted.status == 200
        await tg.wait_until(lambda: len(tg.messages_in(chat)) == 1, what="the answer")
        assert "Here is what I can do" in tg.messages_in(chat)[0].text
        assert not tg.sent("getUpdates"), "no polling beside the webhook"


async def test_without_a_configured_secret_forged_updates_are_refused(
    config: AppConfig, tg: FakeTelegram, clock: JumpingClock, session: aiohttp.ClientSession
) -> None:
    hook = WebhookSettings("https://bot.example.org/telegram", listen_port=0)
    async with webhook_adapter(config, clock, hook) as url:
        [registered] = tg.sent("setWebhook")
        secret = registered.params.get("secret_token")
        assert secret, "Telegram must be given a secret to send back"
        alice = tg.user()
        chat = tg.private_chat(alice)
        forged = {"update_id": 98, "message": tg.send_text(chat, alice, "/help")}
        genuine = {"update_id": 99, "message": tg.send_text(chat, alice, "/help")}
        async with session.post(url, json=forged) as refused:
            assert refused.status == 403
        headers = {SECRET_HEADER: str(secret)}
        async with session.post(url, json=genuine, headers=headers) as accepted:
            assert accepted.status == 200
        await tg.wait_until(lambda: len(tg.messages_in(chat)) == 1, what="the answer")
