"""A bot on a SQLite file, talking to the simulated relay (the ``sim`` fixture: 3 polls per job)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sim import SimRelay
from tests.jobs.harness import Bot, FakeClock, open_bot


@pytest.fixture
async def harness(sim: SimRelay, tmp_path: Path) -> AsyncIterator[Bot]:
    async with open_bot(sim, tmp_path / "bot.sqlite3", FakeClock()) as running:
        yield running
