"""Run the simulated relay in the foreground until Ctrl-C or SIGTERM.

A port that is taken or a host that is not this machine's is one line on stderr and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
import socket
import sys
from typing import Final

from bot.sim.server import SimRelay

EXIT_CANNOT_LISTEN: Final = 1


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
    try:
        url = await sim.start(host=host, port=port)
    except OSError as exc:
        raise CannotListenError(cannot_listen_reason(exc, host, port)) from None
    except UnicodeError:  # the IDNA codec refuses the name before any lookup ("a..b")
        raise CannotListenError(
            f"cannot listen on {host}:{port}: {host!r} is not a valid host name; "
            "use an address of this machine, e.g. --host 127.0.0.1"
        ) from None
    key_note = "any API key" if api_key is None else f"API key {api_key}"
    print(f"SIMULATED relay on {url} ({key_note}; every answer is made up)", flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()


class CannotListenError(Exception):
    """The simulator could not open its port; the message is the one line to show."""


def cannot_listen_reason(exc: OSError, host: str, port: int) -> str:
    where = f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return (f"cannot listen on {where}: {host!r} is not a known host name or address; "
                "use an address of this machine, e.g. --host 127.0.0.1")
    if exc.errno == errno.EADDRINUSE:
        return (f"cannot listen on {where}: the port is already in use; "
                "stop the other process or choose another --port (0 picks a free one)")
    if exc.errno == errno.EADDRNOTAVAIL:
        return (f"cannot listen on {where}: {host} is not an address of this machine; "
                "use e.g. --host 127.0.0.1")
    if exc.errno == errno.EACCES:
        return (f"cannot listen on {where}: permission denied "
                "(ports below 1024 need privileges); choose a --port above 1023")
    return f"cannot listen on {where}: {exc.strerror or exc}"


def run_forever(
    *, host: str, port: int, api_key: str | None, steps: int, step_seconds: float
) -> int:
    """Blocking: serve until interrupted; the exit code. Backs ``relaybot sim-relay``."""
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                _serve(host=host, port=port, api_key=api_key, steps=steps,
                       step_seconds=step_seconds)
            )
    except CannotListenError as exc:
        print(f"relaybot sim-relay: {exc}", file=sys.stderr, flush=True)
        return EXIT_CANNOT_LISTEN
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sim", description="SIMULATED relay")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--api-key", default="sk-sim", help='"" accepts any key')
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--step-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    sys.exit(run_forever(
        host=args.host,
        port=args.port,
        api_key=args.api_key or None,
        steps=args.steps,
        step_seconds=args.step_seconds,
    ))
