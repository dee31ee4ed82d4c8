"""Fixtures: a started simulated relay and a client session that talks to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.sim import SimRelay

API_KEY = "sk-sim"


@pytest.fixture
async def sim() -> AsyncIterator[SimRelay]:
    async with SimRelay(API_KEY, steps=3) as relay:
        yield relay


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        yield session


@pytest.fixture
async def anon() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
