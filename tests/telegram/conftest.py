"""The real relaybot app (core, SQLite file, relay simulator) with the real
python-telegram-bot, talking to the fake Bot API on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.telegram import TelegramAdapter
from bot.app import App
from bot.config import AppConfig, RelayConfig, Secret, StorageConfig, TelegramConfig
from bot.sim import SimRelay
from tests.fakes.clock import Jobs, JumpingClock
from tests.fakes.telegram_api import BotMessage, FakeTelegram, TgChat, TgUser
from tests.relay_sim import SIM_KEY


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error here) whenever a RetryAfter is built unless opted in to
    # timedelta periods; the adapter opts in too.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def clock() -> JumpingClock:
    return JumpingClock()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
        assert server.protocol_errors == []


@pytest.fixture
def config(tmp_path: Path, fake: FakeTelegram, sim: SimRelay) -> AppConfig:
    return AppConfig(
        relay=RelayConfig(base_url=sim.base_url, api_key=Secret(SIM_KEY), timeout_s=10),
        storage=StorageConfig(path=tmp_path / "bot.sqlite3"),
        telegram=TelegramConfig(
            token=Secret(fake.token), base_url=fake.base_url, base_file_url=fake.base_file_url
        ),
    )


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
async def bot(config: AppConfig, fake: FakeTelegram, clock: JumpingClock
              ) -> AsyncIterator[Running]:
    # The tests drive the app's job tracker tick by tick (see Jobs) on virtual time.
    app = App(config, clock=clock, sleep=clock.sleep, wall_clock=clock, platforms=("telegram",),
              start_tracker=False)
    await app.start()
    alice = fake.user(1001, "Alice", username="alice")
    try:
        yield Running(app, fake, clock, alice, fake.private_chat(alice))
    finally:
        await app.stop()


@pytest.fixture
def jobs(bot: Running) -> Jobs:
    assert bot.app.tracker is not None  # built by the app, its loop not started
    return Jobs(bot.app.tracker, bot.clock)
