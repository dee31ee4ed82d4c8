"""The relay's sample payloads (RELAY_API.md), read from the simulator's packaged copy:
the relay parsers, the simulator and the job tests all check against the same files."""

from __future__ import annotations

import json
from importlib import resources
from importlib.resources.abc import Traversable

SAMPLES_PACKAGE = "bot.sim"


def _sample_file(name: str) -> Traversable:
    return resources.files(SAMPLES_PACKAGE).joinpath("samples", name)


def sample(name: str) -> object:
    return json.loads(sample_text(name))


def sample_text(name: str) -> str:
    return _sample_file(name).read_text(encoding="utf-8")


def sample_bytes(name: str) -> bytes:
    return _sample_file(name).read_bytes()
