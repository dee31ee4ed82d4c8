"""The PNG bar chart of ``/admin stats``: credits per day, stacked by capability.

Drawn with matplotlib's Agg canvas on a ``Figure`` of its own (no pyplot, so no global
state shared between threads); callers run :func:`credits_chart_png` in a worker thread
because drawing takes tens of milliseconds and must not block the event loop.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

_WIDTH_IN, _HEIGHT_IN, _DPI = 8.0, 4.0, 100


def credits_chart_png(days: Sequence[str], per_capability: Mapping[str, Sequence[float]]) -> bytes:
    """``per_capability[name][i]`` is the credits charged on ``days[i]``.

    Labels are dates and capability names as configured (``midjourney``), never
    translated text: the default font has no CJK glyphs, and the message around the chart
    says what it shows in the reader's language."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(_WIDTH_IN, _HEIGHT_IN), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(days)))
    bottom = [0.0] * len(days)
    for name, values in per_capability.items():
        axes.bar(positions, list(values), bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xticks(positions, list(days), rotation=45, ha="right", fontsize=8)
    if per_capability:
        axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
