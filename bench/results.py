"""The targets, the pass/fail verdicts, ``bench/results.json`` and the printed table.

Pure functions over plain dicts, so a unit test can check the schema without running
anything. The required shape (``schema`` 1) is kept exactly; verdicts and details are
extra keys (``targets`` in each section, ``all_pass`` at the top).
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Json = dict[str, Any]

SCHEMA = 1
RESULTS_PATH = Path(__file__).resolve().parent / "results.json"
BENCHMARKS_MD = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
_START, _END = "<!-- results:start -->", "<!-- results:end -->"
TRACKING_KEYS = (
    "jobs", "arrival_s", "poll_interval_s", "status_requests_max_per_interval",
    "baseline_requests_per_interval", "cpu_ms_per_update", "peak_rss_mb", "delivery_p50_s",
    "delivery_p99_s",
)
DISPATCH_KEYS = ("users", "added_p50_ms", "added_p99_ms")
STREAMING_KEYS = ("edit_interval_s", "first_text_ms", "edits_per_message", "n429", "final_lag_s")
MEMORY_KEYS = ("idle_rss_mb",)


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    limit: float
    # the limit may depend on the section (delivery p99 on its poll interval)
    limit_for: Callable[[Mapping[str, Any]], float] | None = None

    def bound(self, section: Mapping[str, Any]) -> float:
        return self.limit_for(section) if self.limit_for is not None else self.limit

    def verdict(self, section: Mapping[str, Any]) -> Json:
        value = section.get(self.key)
        limit = self.bound(section)
        ok = isinstance(value, int | float) and not math.isnan(value) and value <= limit
        return {"limit": limit, "value": value, "pass": ok}


def _poll_plus(extra_s: float) -> Callable[[Mapping[str, Any]], float]:
    return lambda section: float(section["poll_interval_s"]) + extra_s


TRACKING_TARGETS: dict[int, tuple[Target, ...]] = {
    1000: (
        Target("status_requests_max_per_interval", 10),
        Target("cpu_ms_per_update", 0.2),
        Target("peak_rss_mb", 150),
        Target("delivery_p99_s", 0, _poll_plus(1.0)),
    ),
    10000: (
        Target("status_requests_max_per_interval", 100),
        Target("cpu_ms_per_update", 0.2),
        Target("peak_rss_mb", 300),
        Target("delivery_p99_s", 0, _poll_plus(2.0)),
    ),
}
DISPATCH_TARGETS = (Target("added_p99_ms", 10),)
STREAMING_TARGETS = (
    Target("first_text_ms", 50),
    Target("n429", 0),
    Target("final_lag_s", 0, lambda s: float(s["edit_interval_s"]) + 0.25),
)
MEMORY_TARGETS = (Target("idle_rss_mb", 80),)


def judge(section: Json, targets: Sequence[Target]) -> Json:
    """``section`` with a ``targets`` key: one verdict per target."""
    verdicts = {target.key: target.verdict(section) for target in targets}
    if "jobs" in section and "delivered" in section:
        # A case that ran out of time or lost jobs cannot pass, whatever its numbers.
        done = section["delivered"] == section["jobs"]
        verdicts["delivered"] = {"limit": section["jobs"], "value": section["delivered"],
                                 "pass": done}
    return {**section, "targets": verdicts}


def machine() -> Json:
    return {"cpus": os.cpu_count() or 0, "python": platform.python_version()}


def build_results(
    tracking: Sequence[Json],
    dispatch: Json,
    streaming: Json,
    memory: Json,
    *,
    extra: Mapping[str, Any] | None = None,
) -> Json:
    """The results document: the required keys first, verdicts included, then ``extra``."""
    judged_tracking = [
        judge(case, TRACKING_TARGETS.get(int(case.get("jobs", 0)), ())) for case in tracking
    ]
    document: Json = {
        "schema": SCHEMA,
        "machine": machine(),
        "tracking": judged_tracking,
        "dispatch": judge(dispatch, DISPATCH_TARGETS),
        "streaming": judge(streaming, STREAMING_TARGETS),
        "memory": judge(memory, MEMORY_TARGETS),
    }
    document["all_pass"] = all(v["pass"] for _, _, v in verdicts(document))
    document.update(extra or {})
    return document


def verdicts(document: Mapping[str, Any]) -> list[tuple[str, str, Json]]:
    """(section label, target key, verdict) for every target in the document."""
    rows: list[tuple[str, str, Json]] = []
    for case in document.get("tracking", []):
        label = f"tracking {case.get('jobs')} jobs"
        rows += [(label, key, v) for key, v in case.get("targets", {}).items()]
    for section in ("dispatch", "streaming", "memory"):
        part = document.get(section, {})
        rows += [(section, key, v) for key, v in part.get("targets", {}).items()]
    return rows


def write_results(document: Mapping[str, Any], path: Path = RESULTS_PATH) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def table(document: Mapping[str, Any]) -> str:
    """The verdicts as a fixed-width table (also pasted into BENCHMARKS.md)."""
    lines = [f"{'section':<22} {'measure':<34} {'value':>10} {'target':>10}  result",
             "-" * 86]
    for label, key, verdict in verdicts(document):
        sign = "=" if key in ("n429", "delivered") else "≤"
        lines.append(
            f"{label:<22} {key:<34} {_shown(verdict['value']):>10} "
            f"{sign + ' ' + _shown(verdict['limit']):>10}  "
            f"{'pass' if verdict['pass'] else 'FAIL'}"
        )
    return "\n".join(lines)


def markdown_table(document: Mapping[str, Any]) -> str:
    lines = ["| section | measure | value | target | result |", "|---|---|---|---|---|"]
    for label, key, verdict in verdicts(document):
        sign = "=" if key in ("n429", "delivered") else "≤"
        result = "pass" if verdict["pass"] else "**FAIL**"
        lines.append(f"| {label} | {key} | {_shown(verdict['value'])} | "
                     f"{sign} {_shown(verdict['limit'])} | {result} |")
    return "\n".join(lines)


def latest_section(document: Mapping[str, Any]) -> str:
    """The "Latest results" text of BENCHMARKS.md for ``document``."""
    machine_ = document.get("machine", {})
    verdict = "every target met" if document.get("all_pass") else "some targets FAIL"
    lines = [
        f"Run `{document.get('command', 'python -m bench')}` finished "
        f"{document.get('finished_at', '?')} in {document.get('total_s', '?')} s on "
        f"{machine_.get('cpus')} CPUs, Python {machine_.get('python')} "
        f"(1-minute load average {document.get('load_average', '?')} at the start): "
        f"{verdict}.",
        "",
        markdown_table(document),
        "",
        *_details(document),
    ]
    return "\n".join(lines)


def _details(document: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for case in document.get("tracking", []):
        lines.append(
            f"- tracking {case.get('jobs')}: {case.get('delivered')} of {case.get('submitted')} "
            f"submitted jobs delivered; {case.get('updates')} job updates; baseline "
            f"{case.get('baseline_requests_per_interval')} requests per interval; delivery p50 "
            f"{case.get('delivery_p50_s')} s; {case.get('virtual_s')} s of virtual time in "
            f"{case.get('real_s')} s of real time; CPU per update with the simulator's "
            f"{case.get('simulator_cpu_s')} s counted in: "
            f"{case.get('process_cpu_ms_per_update')} ms."
        )
    dispatch = document.get("dispatch", {})
    lines.append(
        f"- dispatch: {dispatch.get('users')} users chatting, {dispatch.get('rounds')} messages"
        f" each ({dispatch.get('answered')} answered): added p50 {dispatch.get('added_p50_ms')}"
        f" ms (update → relay request p50 {dispatch.get('inbound_p50_ms')} ms, relay answer →"
        f" sendMessage p50 {dispatch.get('outbound_p50_ms')} ms); CPU per message"
        f" {dispatch.get('cpu_ms_per_message')} ms, the bot's"
        f" {dispatch.get('bot_cpu_ms_per_message')} ms; one user alone:"
        f" {dispatch.get('single_user_added_ms')} ms added; not a target, all"
        f" {dispatch.get('burst_users')} sending in one instant: added p50"
        f" {dispatch.get('burst_added_p50_ms')} ms, p99 {dispatch.get('burst_added_p99_ms')} ms."
    )
    streaming = document.get("streaming", {})
    lines.append(
        f"- streaming: {streaming.get('messages')} messages, "
        f"{streaming.get('edits_per_message')} edits per message over a "
        f"{streaming.get('stream_s')} s stream."
    )
    memory = document.get("memory", {})
    startup = memory.get("startup_s")
    lines.append(f"- memory: `relaybot run` connected to both fakes in {startup} s.")
    return lines


def record_in_benchmarks_md(document: Mapping[str, Any], path: Path = BENCHMARKS_MD) -> None:
    """Replace the text between the results markers of BENCHMARKS.md (if it has them)."""
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    start, end = text.find(_START), text.find(_END)
    if start < 0 or end < start:
        return
    updated = text[: start + len(_START)] + "\n" + latest_section(document) + "\n" + text[end:]
    path.write_text(updated, encoding="utf-8")
