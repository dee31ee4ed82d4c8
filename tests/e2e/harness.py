"""The whole bot as an operator runs it: one App, Telegram and Discord at once.

One SQLite file, one relay simulator, the fake Bot API and the fake Discord, all on
loopback in the test's event loop. The job tracker is driven tick by tick on virtual
time, as in the platform suites (:class:`tests.telegram.conftest.JumpingClock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.telegram import TelegramAdapter
from bot.app import App
from bot.jobs.tracker import JobTracker
from tests.fakes.clock import JumpingClock
from tests.fakes.discord_api import FakeDiscord, InteractionState, shown_text
from tests.fakes.telegram_api import BotMessage, FakeTelegram, TgChat, TgUser

WRITING = "still writing"  # Discord's placeholder while an answer streams

Json = dict[str, Any]


@dataclass
class Operator:
    """A running App plus the people talking to it on each platform."""

    app: App
    tg: FakeTelegram
    dc: FakeDiscord
    clock: JumpingClock
    alice: TgUser  # on Telegram, in her private chat `dm`
    dm: TgChat

    @property
    def telegram(self) -> TelegramAdapter:
        adapter = self.app.adapters["telegram"]
        assert isinstance(adapter, TelegramAdapter)
        return adapter

    @property
    def tracker(self) -> JobTracker:
        assert self.app.tracker is not None
        return self.app.tracker

    async def tick(self, times: int = 1, seconds: float = 10.0) -> None:
        """Let virtual time pass and run the job tracker once per step."""
        for _ in range(times):
            self.clock.now += seconds
            await self.tracker.run_once()

    # -- Telegram ----------------------------------------------------------------------

    async def tg_say(self, text: str) -> None:
        """Alice writes in her private chat; returns once the bot has handled it."""
        count = len(self.tg.messages_in(self.dm))
        self.tg.send_text(self.dm, self.alice, text)
        await self.tg.wait_until(lambda: len(self.tg.messages_in(self.dm)) > count,
                                 what=f"an answer to {text!r}")
        await self.telegram.settled()

    async def tg_press(self, message: BotMessage, label: str) -> None:
        answered = len(self.tg.sent("answerCallbackQuery"))
        self.tg.press(self.alice, message, label)
        await self.tg.wait_for("answerCallbackQuery", answered + 1)
        await self.telegram.settled()

    def tg_results(self) -> list[BotMessage]:
        """Photos with buttons in Alice's chat: delivered Midjourney results."""
        return [m for m in self.tg.messages_in(self.dm) if m.kind == "photo" and m.buttons]

    # -- Discord -----------------------------------------------------------------------

    async def dc_slash(self, name: str, options: Json) -> InteractionState:
        """Alice runs a slash command; returns once its first answer replaced "thinking"."""
        asked = await self.dc.slash(name, options)
        await self.dc.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original")
        return asked

    async def dc_chat(self, prompt: str) -> str:
        """/chat on Discord; the final answer as shown in the channel."""
        asked = await self.dc.slash("chat", {"prompt": prompt})
        original = f"/webhooks/*/{asked.token}/messages/@original"
        [*_, final] = await self.dc.wait_for(
            "PATCH", original, where=lambda c: WRITING not in c.shown
        )
        return final.shown

    def dc_bot_messages(self) -> list[Json]:
        return [
            m for m in self.dc.channel_messages(self.dc.channel_id)
            if m["author"]["id"] == self.dc.bot_user["id"]
        ]

    def dc_text(self, message_id: str) -> str:
        """What a Discord message shows now (its content and embeds)."""
        return shown_text(self.dc.messages[message_id])

    def dc_results(self) -> list[Json]:
        """Bot messages with a file and buttons: delivered Midjourney results."""
        return [m for m in self.dc_bot_messages() if m["attachments"] and m.get("components")]

