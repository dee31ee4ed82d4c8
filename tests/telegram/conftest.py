"""The real relaybot app (core, SQLite file, relay simulator) with the real
python-telegram-bot, talking to the fake Bot API on loopback (``bot``); and PTB's own Bot
(``ptb``) for tests of the adapter's parts without the core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from telegram import Bot

from adapters.telegram import TelegramAdapter
from adapters.telegram.outbox import Outbox
from adapters.telegram.pacing import Pacer
from adapters.telegram.responder import TelegramResponder, telegram_limits
from bot.app import App
from bot.config import AppConfig
from bot.core.models import ChatRef
from tests.fakes.clock import JumpingClock, start_app
from tests.fakes.telegram_api import BotMessage, FakeTelegram, TgChat, TgUser


@dataclass
class Running:
    app: App
    fake: FakeTelegram
    clock: JumpingClock
    alice: TgUser
    dm: TgChat  # Alice's private chat with the bot

    @property
    def adapter(self) -> TelegramAdapter:
        adapter = self.app.adapters["telegram"]
        assert isinstance(adapter, TelegramAdapter)
        return adapter

    async def say(self, text: str, *, chat: TgChat | None = None, user: TgUser | None = None,
                  **kwargs: int) -> None:
        self.fake.send_text(chat or self.dm, user or self.alice, text, **kwargs)

    async def answer(self, chat: TgChat | None = None, *, after: int = 0,
                     containing: str = "") -> BotMessage:
        """Wait for the bot's message number ``after + 1`` in ``chat`` (containing a text)."""
        where = chat or self.dm

        def found() -> BotMessage | None:
            new = self.fake.messages_in(where)[after:]
            return next((m for m in new if containing in m.text), None)

        await self.fake.wait_until(lambda: found() is not None,
                                   what=f"a bot message containing {containing!r}")
        message = found()
        assert message is not None
        return message


@pytest.fixture
async def tgbot(config: AppConfig, tg: FakeTelegram, clock: JumpingClock
              ) -> AsyncIterator[Running]:
    app = await start_app(config, clock)
    alice = tg.user(1001, "Alice", username="alice")
    try:
        yield Running(app, tg, clock, alice, tg.private_chat(alice))
    finally:
        await app.stop()


@pytest.fixture
async def ptb(tg: FakeTelegram) -> AsyncIterator[Bot]:
    """python-telegram-bot's own Bot on the fake, for tests of the adapter's parts."""
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as bot:
        yield bot


def responder(tgbot: Bot, chat: TgChat, clock: JumpingClock) -> TelegramResponder:
    """The adapter's responder for one chat, paced on virtual time, without the core."""
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    ref = ChatRef("telegram", str(chat.id), is_private=chat.is_private)
    return TelegramResponder(Outbox(tgbot, pacer, sleep=clock.sleep), ref,
                             limits=telegram_limits(), locale="en")
