"""The relay simulator as the suite runs it: one API key, and per-test options.

Every test that takes the ``sim`` fixture (tests/conftest.py) gets a started
:class:`~bot.sim.SimRelay` that accepts :data:`SIM_KEY`. A test module or test that needs
another pace marks itself, e.g. ``pytestmark = pytest.mark.sim(steps=2)``; the marker's
keywords are passed to ``SimRelay`` (``steps``, ``chunk_delay_s``, ``new_api_mode`` …),
the closest marker winning.
"""

from __future__ import annotations

from typing import Any

import pytest

SIM_KEY = "sk-sim"


def sim_options(node: pytest.Item) -> dict[str, Any]:
    marker = node.get_closest_marker("sim")
    return dict(marker.kwargs) if marker is not None else {}
