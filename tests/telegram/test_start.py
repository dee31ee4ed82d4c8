"""Starting against Telegram: a wrong token is one clear operator line, nothing leaks."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.base import PlatformStartError
from bot.app import App
from bot.config import AppConfig, Secret
from tests.fakes.telegram_api import FakeTelegram


async def test_wrong_token_fails_start_clearly(config: AppConfig, tg: FakeTelegram) -> None:
    assert config.telegram is not None
    wrong = dataclasses.replace(config.telegram, token=Secret("999:not-the-token"))
    app = App(dataclasses.replace(config, telegram=wrong), platforms=("telegram",))
    with pytest.raises(PlatformStartError, match="Telegram refused the bot token") as caught:
        await app.start()
    assert "not-the-token" not in str(caught.value)
    assert app.adapters == {}
    # The fake notes every call with a wrong token; here that is the point of the test.
    assert tg.protocol_errors == ["getMe: wrong token"]
    tg.protocol_errors.clear()
