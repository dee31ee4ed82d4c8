"""Session-wide test setup: no test may reach beyond loopback."""

from __future__ import annotations

import pytest

from tests import netguard

_uninstall_guard = None


def pytest_configure(config: pytest.Config) -> None:
    global _uninstall_guard
    _uninstall_guard = netguard.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _uninstall_guard is not None:
        _uninstall_guard()
