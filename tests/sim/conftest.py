"""``http``: a client session that sends the simulator's key (``session`` sends none)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.relay_sim import SIM_KEY


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {SIM_KEY}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        yield session
