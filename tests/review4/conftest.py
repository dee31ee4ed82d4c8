"""Review 4 reuses the jobs fixtures: a simulated relay and a bot on a SQLite file."""

from __future__ import annotations

from tests.jobs.conftest import bot, sim

__all__ = ["bot", "sim"]
