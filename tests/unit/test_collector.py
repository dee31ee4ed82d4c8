"""The garbage collector as a started bot leaves it (in a process of its own: the
collector's settings are the whole process's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_started_bot_freezes_its_startup_objects_and_collects_young_ones_less_often(
) -> None:
    code = (
        "import gc, bot.app\n"
        "default = gc.get_threshold()\n"
        "bot.app.freeze_startup_objects()\n"
        "young, middle, oldest = gc.get_threshold()\n"
        "print(gc.get_freeze_count() > 10_000, young, (middle, oldest) == default[1:])\n"
        "before = gc.get_stats()[0]['collections']\n"
        "kept = [[n] for n in range(5_000)]  # a burst of new objects, alive\n"
        "print(gc.get_stats()[0]['collections'] - before)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    frozen, young_collections = result.stdout.splitlines()
    assert frozen == "True 10000 True", "startup objects frozen, young ones every 10,000"
    assert young_collections == "0", "5,000 new objects set off no collection"
