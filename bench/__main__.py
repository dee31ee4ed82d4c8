"""``python -m bench``: run every benchmark and print ratios against their baselines.

A ratio below 1 means the subject is cheaper than its baseline. Run on an otherwise
idle machine; compare ratios, not absolute times, between machines.
"""

from __future__ import annotations

import logging

from bench import cases_relay, cases_store
from bench.harness import run_all

logging.basicConfig(level=logging.WARNING)
run_all([*cases_relay.CASES, *cases_store.CASES])
