"""``bench/results.json`` keeps the documented shape, with a verdict for every target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.memory import MemoryResult
from bench.platform_cases import DispatchResult, StreamingResult
from bench.results import build_results, record_in_benchmarks_md, table, write_results
from bench.tracking import TrackingCase, TrackingResult, max_active, max_in_window

REQUIRED_TRACKING = {
    "jobs", "arrival_s", "poll_interval_s", "status_requests_max_per_interval",
    "baseline_requests_per_interval", "cpu_ms_per_update", "peak_rss_mb", "delivery_p50_s",
    "delivery_p99_s",
}


def _tracking(jobs: int, arrival_s: float, delivered: int, requests: int) -> TrackingResult:
    return TrackingResult(
        case=TrackingCase(jobs, arrival_s), status_requests_max_per_interval=requests,
        baseline_requests_per_interval=jobs // 2, cpu_ms_per_update=0.1,
        process_cpu_ms_per_update=0.3, simulator_cpu_s=2.0, peak_rss_mb=90.0,
        delivery_p50_s=1.5, delivery_p99_s=3.5, updates=jobs * 10, submitted=jobs,
        delivered=delivered, virtual_s=200.0, real_s=50.0,
    )


def _document() -> dict[str, Any]:
    return build_results(
        [_tracking(1000, 60, 1000, 9).as_json(), _tracking(10000, 120, 9000, 90).as_json()],
        DispatchResult(200, 0.5, 4.0, 12.0, 3.0, 1.0, 200).as_json(),
        StreamingResult(1.0, 20.0, 5.0, 0, 1.1, 3, 4.0).as_json(),
        MemoryResult(70.0, 2.0).as_json(),
        extra={"command": "python -m bench"},
    )


def test_results_have_the_documented_keys(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    write_results(_document(), path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document)[:6] == ["schema", "machine", "tracking", "dispatch", "streaming",
                                  "memory"]
    assert document["schema"] == 1
    assert set(document["machine"]) == {"cpus", "python"}
    assert [(c["jobs"], c["arrival_s"], c["poll_interval_s"]) for c in document["tracking"]] == [
        (1000, 60, 3.0), (10000, 120, 3.0)]
    for case in document["tracking"]:
        assert set(case) >= REQUIRED_TRACKING
    assert {"users", "added_p50_ms", "added_p99_ms"} <= set(document["dispatch"])
    assert {"edit_interval_s", "first_text_ms", "edits_per_message", "n429",
            "final_lag_s"} <= set(document["streaming"])
    assert "idle_rss_mb" in document["memory"]
    assert document["command"] == "python -m bench"


def test_each_target_gets_a_verdict() -> None:
    document = _document()
    small, large = document["tracking"]
    assert all(v["pass"] for v in small["targets"].values())
    assert small["targets"]["delivery_p99_s"]["limit"] == 4.0  # poll interval + 1 s
    # 1,000 of 10,000 jobs never delivered: the case fails whatever its other numbers say.
    assert large["targets"]["delivered"]["pass"] is False
    assert document["dispatch"]["targets"]["added_p99_ms"]["pass"] is False
    assert document["all_pass"] is False
    assert "added_p99_ms" in table(document) and "FAIL" in table(document)


def test_request_windows_and_active_jobs() -> None:
    # Windows are half-open: 0 and 3.0 are never in the same 3 s window.
    assert max_in_window([0.0, 1.0, 2.9, 3.0], 3.0) == 3
    assert max_active([(0.0, 10.0), (5.0, 20.0), (11.0, 12.0)]) == 2


def test_benchmarks_md_gets_the_latest_table(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# B\n<!-- results:start -->\nold\n<!-- results:end -->\nrest\n",
                    encoding="utf-8")
    record_in_benchmarks_md(_document(), path)
    text = path.read_text(encoding="utf-8")
    assert "old" not in text and text.endswith("<!-- results:end -->\nrest\n")
    assert "| dispatch | added_p99_ms | 12 | ≤ 10 | **FAIL** |" in text
