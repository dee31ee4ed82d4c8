"""Run the simulated relay in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bot.sim.server import SimRelay


async def _serve(
    *, host: str, port: int, api_key: str | None, steps: int, step_seconds: float
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not available on every platform (Windows); Ctrl-C then arrives as KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    sim = SimRelay(api_key, steps=steps, step_seconds=step_seconds, chunk_delay_s=0.03)
    url = await sim.start(host=host, port=port)
    key_note = "any API key" if api_key is None else f"API key {api_key}"
    print(f"SIMULATED relay on {url} ({key_note}; every answer is made up)", flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()


def run_forever(
    *, host: str, port: int, api_key: str | None, steps: int, step_seconds: float
) -> None:
    """Blocking: serve until interrupted. Used by ``relaybot sim-relay --port N``."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            _serve(host=host, port=port, api_key=api_key, steps=steps, step_seconds=step_seconds)
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sim", description="SIMULATED relay")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--api-key", default="sk-sim", help='"" accepts any key')
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--step-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    run_forever(
        host=args.host,
        port=args.port,
        api_key=args.api_key or None,
        steps=args.steps,
        step_seconds=args.step_seconds,
    )
