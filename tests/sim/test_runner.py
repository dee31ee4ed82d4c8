"""``python -m bot.sim``: banner, serving, clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


async def test_cli_prints_banner_serves_and_stops_on_sigterm() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sim",
        "--port",
        "0",
        "--api-key",
        "sk-demo",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    try:
        banner = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.match(r"SIMULATED relay on (http://127\.0\.0\.1:\d+) ", banner)
        assert match, banner
        async with (
            aiohttp.ClientSession() as session,
            session.get(match.group(1) + "/") as response,
        ):
            assert "SIMULATED relay" in await response.text()
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()
