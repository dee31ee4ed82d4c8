"""Fixtures: a started simulated relay and a client session that talks to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.relay_sim import SIM_KEY


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {SIM_KEY}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        yield session


@pytest.fixture
async def anon() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
