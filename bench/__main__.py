"""``python -m bench``: every benchmark, a verdict per target, ``bench/results.json``.

Each case runs in its own child process (``python -m bench --case NAME --out FILE``) so
its peak RSS and CPU time are its own; the children run one after another. The scale
cases (tracking, dispatch, streaming) run on the virtual-time loop of
:mod:`bench.vloop`; ``memory`` and the micro-benchmarks on real time. See BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.results import build_results, record_in_benchmarks_md, table, write_results

TRACKING_CASES = {"tracking-1000": (1000, 60.0, 80.0), "tracking-10000": (10000, 120.0, 150.0)}
CASES = ("micro", *TRACKING_CASES, "dispatch", "streaming", "memory")
COMMAND = "python -m bench"


def _run_case(name: str) -> Any:
    if name == "micro":
        from bench import cases_relay, cases_store
        from bench.harness import run_all

        return asyncio.run(run_all([*cases_relay.CASES, *cases_store.CASES]))
    if name in TRACKING_CASES:
        from bench.tracking import TrackingCase, run_tracking
        from bench.vloop import run_virtual

        jobs, arrival_s, budget_s = TRACKING_CASES[name]
        case = TrackingCase(jobs, arrival_s, poll_interval_s=3.0, budget_s=budget_s)
        return run_virtual(run_tracking(case)).as_json()
    if name in ("dispatch", "streaming"):
        from bench.platform_cases import run_dispatch, run_streaming
        from bench.vloop import run_virtual

        if name == "streaming":
            return run_virtual(run_streaming()).as_json()
        # The target's load: 200 users in live conversations (see BENCHMARKS.md).
        chatting = run_virtual(run_dispatch(users=200)).as_json()
        # One user alone: what the bot adds without queueing behind others.
        alone = run_virtual(run_dispatch(users=1, rounds=5)).as_json()
        # Not a target: all 200 first messages in one instant, queueing for one core.
        burst = run_virtual(run_dispatch(users=200, rounds=1, think_s=(0.0, 0.0))).as_json()
        return {
            **chatting,
            "single_user_added_ms": alone["added_p50_ms"],
            "burst_users": burst["users"],
            "burst_added_p50_ms": burst["added_p50_ms"],
            "burst_added_p99_ms": burst["added_p99_ms"],
            "burst_cpu_ms_per_message": burst["cpu_ms_per_message"],
            "burst_bot_cpu_ms_per_message": burst["bot_cpu_ms_per_message"],
        }
    if name == "memory":
        from bench.memory import run_memory

        return asyncio.run(run_memory()).as_json()
    raise SystemExit(f"unknown case {name!r}; cases: {', '.join(CASES)}")


def _in_child(name: str, workdir: Path) -> Any:
    out = workdir / f"{name}.json"
    started = time.perf_counter()
    print(f"== {name}", flush=True)
    subprocess.run([sys.executable, "-m", "bench", "--case", name, "--out", str(out)],
                   check=True)
    result = json.loads(out.read_text(encoding="utf-8"))
    if name != "micro":
        print(f"   {json.dumps(result)}")
    print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    parser.add_argument("--case", choices=CASES, help="run one case in this process")
    parser.add_argument("--out", type=Path, help="with --case: write its JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if args.case is not None:
        result = _run_case(args.case)
        text = json.dumps(result)
        if args.out is not None:
            args.out.write_text(text, encoding="utf-8")
        else:
            print(text)
        return
    load_average = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="relaybot-bench-") as tmp:
        results = {name: _in_child(name, Path(tmp)) for name in CASES}
    total_s = time.perf_counter() - started
    document = build_results(
        [results[name] for name in TRACKING_CASES],
        results["dispatch"],
        results["streaming"],
        results["memory"],
        extra={
            "command": COMMAND,
            "total_s": round(total_s, 1),
            "load_average": load_average,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "micro": results["micro"],
        },
    )
    write_results(document)
    record_in_benchmarks_md(document)
    print()
    print(table(document))
    print(f"\n{'all targets met' if document['all_pass'] else 'some targets FAIL'}; "
          f"{total_s:.0f} s in all; written to bench/results.json and BENCHMARKS.md")


main()
