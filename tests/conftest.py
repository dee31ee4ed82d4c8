"""Session-wide test setup: no test may reach beyond loopback; the relay simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sim import SimRelay
from tests import netguard
from tests.relay_sim import SIM_KEY, sim_options

_uninstall_guard = None


def pytest_configure(config: pytest.Config) -> None:
    global _uninstall_guard
    _uninstall_guard = netguard.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _uninstall_guard is not None:
        _uninstall_guard()


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[SimRelay]:
    """A started relay simulator on loopback (options: the ``sim`` marker)."""
    async with SimRelay(SIM_KEY, **sim_options(request.node)) as relay:
        yield relay
