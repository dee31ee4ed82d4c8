"""Review 4 (Telegram) reuses the Telegram adapter's fixtures: the real app, PTB, the fake
Bot API, the relay simulator and a SQLite file."""

from __future__ import annotations

from tests.telegram.conftest import _ptb_timedelta, bot, clock, config, fake, jobs, sim

__all__ = ["_ptb_timedelta", "bot", "clock", "config", "fake", "jobs", "sim"]
