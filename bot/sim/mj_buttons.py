"""Midjourney buttons: the real lists (from the samples) and what each customId does.

Button lists are replayed from ``samples/mj_task_success_imagine.json`` (U1–U4, 🔄, V1–V4),
``mj_task_success_upscale.json`` (v6.1: Upscale Subtle/Creative, Vary Subtle/Strong/Region,
Zoom Out 2x/1.5x, Custom Zoom, four pans, ❤️), ``mj_describe_success.json`` (PicReader) and
``mj_shorten_success.json`` (PromptAnalyzer), with the sample's image hash swapped for the
task's own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.sim.envelopes import Samples

GRID_ACTIONS = frozenset(
    {"IMAGINE", "VARIATION", "REROLL", "ZOOM", "PAN", "BLEND", "CUSTOM_ZOOM", "INPAINT"}
)
IMAGE_ACTIONS = GRID_ACTIONS | {"UPSCALE", "SWAP_FACE"}

_IMAGINE_SAMPLE_HASH = "3785da15-4f70-4034-9128-f3ff1ac634fa"
_UPSCALE_SAMPLE_HASH = "9a1c2e47-2b5d-4f0e-8c3a-6e7b1d4f5a92"


@dataclass(frozen=True)
class ButtonAction:
    """What pressing a button starts.

    ``action`` is the child task's action (``BOOKMARK`` starts no task). ``modal`` means the
    child waits in status MODAL for ``/mj/submit/modal``. ``relay_supported`` is False for
    the customIds a new-api relay rejects with ``unknown_action``.
    """

    action: str
    modal: bool = False
    index: int = 0
    relay_supported: bool = True


_RULES: tuple[tuple[re.Pattern[str], str, bool, bool], ...] = (
    (re.compile(r"^MJ::JOB::upsample::(\d)::"), "UPSCALE", False, True),
    (re.compile(r"^MJ::JOB::upsample_v\w+::(\d)::"), "UPSCALE", False, True),
    (re.compile(r"^MJ::JOB::(?:low_|high_)?variation::(\d)::"), "VARIATION", False, True),
    (re.compile(r"^MJ::JOB::reroll::(\d)::"), "REROLL", False, True),
    (re.compile(r"^MJ::JOB::pan_(?:left|right|up|down)::(\d)::"), "PAN", False, True),
    (re.compile(r"^MJ::Outpaint::\d+::(\d)::"), "ZOOM", False, True),
    (re.compile(r"^MJ::CustomZoom::()"), "CUSTOM_ZOOM", True, True),
    (re.compile(r"^MJ::Inpaint::(\d)::"), "INPAINT", True, True),
    (re.compile(r"^MJ::Job::PicReader::(\d|all)$"), "IMAGINE", False, False),
    (re.compile(r"^MJ::Picread::Retry()$"), "DESCRIBE", False, False),
    (re.compile(r"^MJ::Job::PromptAnalyzer::(\d)$"), "IMAGINE", False, False),
    (re.compile(r"^MJ::BOOKMARK::()"), "BOOKMARK", False, False),
)


def parse_custom_id(custom_id: str) -> ButtonAction | None:
    """The action behind a customId, or ``None`` if no Midjourney button looks like it."""
    for pattern, action, modal, supported in _RULES:
        match = pattern.match(custom_id)
        if match is None:
            continue
        raw_index = match.group(1)
        index = int(raw_index) if raw_index.isdigit() else 0
        return ButtonAction(action, modal=modal, index=index, relay_supported=supported)
    return None


def _with_hash(
    buttons: list[dict[str, Any]], sample_hash: str, new_hash: str
) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(json.dumps(buttons).replace(sample_hash, new_hash))
    return loaded


def buttons_for(samples: Samples, action: str, message_hash: str) -> list[dict[str, Any]]:
    """The buttons a finished task of ``action`` carries."""
    # _with_hash builds new lists from JSON text: the samples themselves are only read.
    if action in GRID_ACTIONS:
        sample = samples.by_name["mj_task_success_imagine.json"]
        return _with_hash(sample["buttons"], _IMAGINE_SAMPLE_HASH, message_hash)
    if action == "UPSCALE":
        sample = samples.by_name["mj_task_success_upscale.json"]
        return _with_hash(sample["buttons"], _UPSCALE_SAMPLE_HASH, message_hash)
    if action == "DESCRIBE":
        buttons: list[dict[str, Any]] = samples.part("mj_describe_success.json", "buttons")
        return buttons
    if action == "SHORTEN":
        shorten: list[dict[str, Any]] = samples.part("mj_shorten_success.json", "buttons")
        return shorten
    return []


def describe_lines(seed: str) -> list[str]:
    """Four prompt suggestions for DESCRIBE, numbered like Midjourney does."""
    subjects = (
        "a solid colour square in flat design, minimal composition, soft studio light",
        "an abstract colour field painting, smooth gradients, calm mood",
        "3d render of a plain coloured tile, glossy surface, simple background",
        "a minimalist poster with a single bold colour, clean graphic style",
    )
    return [
        f"{n}\ufe0f\u20e3 (simulated) {subject}, seed {seed} --ar 1:1"
        for n, subject in enumerate(subjects, start=1)
    ]


def shorten_text(prompt: str) -> tuple[str, list[str]]:
    """SHORTEN's analysis text and its five shortened prompts."""
    words = [w for w in re.split(r"[\s,]+", prompt) if w and not w.startswith("--")] or ["empty"]
    weights = " ".join(
        f"{w} ({1.0 if i == 0 else round(1 / (i + 1), 2):.2f})" for i, w in enumerate(words)
    )
    shortened = [", ".join(words[: max(1, round(len(words) * k / 5))]) for k in range(1, 6)]
    lines = "\n".join(f"{n}\ufe0f\u20e3 {text}" for n, text in enumerate(shortened, start=1))
    return (
        f"(simulated)\n**IMPORTANT TOKENS**\n{weights}\n\n## Shortened prompts\n{lines}",
        shortened,
    )
