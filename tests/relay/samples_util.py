"""Load the sample payloads of RELAY_API.md (copied from /work/shared/api/samples)."""

from __future__ import annotations

import json
from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> object:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def sample_text(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")
