"""A ``RelayClient`` pointed at the simulated relay (the ``sim`` fixture).

Retries sleep through ``RecordingSleep``, which returns at once and remembers each delay,
so retry tests assert the backoff without waiting. ``random`` is pinned to 0 (no jitter).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from bot.relay import RelayClient, RetryPolicy
from bot.sim import SimRelay
from tests.relay_sim import SIM_KEY


class RecordingSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.calls.append(delay)


MakeClient = Callable[..., RelayClient]


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession, sim: SimRelay, sleeps: RecordingSleep
) -> MakeClient:
    def make(**overrides: Any) -> RelayClient:
        options: dict[str, Any] = {
            "base_url": sim.base_url,
            "api_key": SIM_KEY,
            "timeout_s": 5.0,
            "retry": RetryPolicy(attempts=3, base_delay_s=0.5, max_delay_s=8.0, jitter=0.25),
            "sleep": sleeps,
            "random": lambda: 0.0,
        }
        options.update(overrides)
        return RelayClient(session, **options)

    return make


@pytest.fixture
def client(make_client: MakeClient) -> RelayClient:
    return make_client()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
