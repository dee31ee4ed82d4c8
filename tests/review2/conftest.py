"""Review 2 reuses the core fixtures: simulated relay, SQLite file, one session."""

from __future__ import annotations

from tests.core.conftest import world

__all__ = ["world"]
