"""``python -m bot.sim`` and ``relaybot sim-relay``: banner, serving, clean stop on SIGTERM;
a port it cannot open is one line, a client that hangs up is no news."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from bot.sim.runner import cannot_listen_reason

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


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


async def _sim_relay(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sim-relay", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=ENV,
    )


async def _refusal(*args: str) -> tuple[int | None, str, str]:
    process = await _sim_relay(*args)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode, stdout.decode(), stderr.decode()


async def test_a_busy_port_is_one_line_and_a_failure_exit() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stdout, stderr = await _refusal("--port", str(port))
    assert code == 1
    assert stdout == ""
    assert stderr == (
        f"relaybot sim-relay: cannot listen on 127.0.0.1:{port}: the port is already in use; "
        "stop the other process or choose another --port (0 picks a free one)\n"
    )


async def test_a_host_that_is_not_this_machine_is_one_line_and_a_failure_exit() -> None:
    code, stdout, stderr = await _refusal("--host", "203.0.113.7", "--port", "0")  # TEST-NET-3
    assert code == 1 and stdout == ""
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert stderr.startswith("relaybot sim-relay: cannot listen on 203.0.113.7:0: ")
    assert "not an address of this machine" in stderr


async def test_a_malformed_host_name_is_one_line_and_a_failure_exit() -> None:
    # An empty label fails in the IDNA codec, before any name lookup (no network).
    code, stdout, stderr = await _refusal("--host", "relay..example", "--port", "0")
    assert code == 1 and stdout == ""
    assert stderr == (
        "relaybot sim-relay: cannot listen on relay..example:0: 'relay..example' is not a "
        "valid host name; use an address of this machine, e.g. --host 127.0.0.1\n"
    )


def test_an_unknown_host_name_says_so() -> None:
    # Built from the resolver's own error, without asking a resolver (tests stay offline).
    error = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert cannot_listen_reason(error, "relay.example", 8099) == (
        "cannot listen on relay.example:8099: 'relay.example' is not a known host name or "
        "address; use an address of this machine, e.g. --host 127.0.0.1"
    )


async def test_a_client_that_hangs_up_mid_stream_is_not_logged() -> None:
    process = await _sim_relay("--port", "0")
    assert process.stdout is not None
    try:
        banner = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", banner)
        assert match, banner
        reader, writer = await asyncio.open_connection("127.0.0.1", int(match.group(1)))
        body = (b'{"model":"gpt-4o-mini","stream":true,'
                b'"messages":[{"role":"user","content":"tell me [long]"}]}')
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: sim\r\n"
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
        await writer.drain()
        first = await asyncio.wait_for(reader.readuntil(b"data: "), 20)
        assert first.startswith(b"HTTP/1.1 200")
        writer.transport.abort()  # hang up while the answer is still streaming
        # The next chunks hit the closed connection; then a normal request still works.
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.get(f"http://127.0.0.1:{match.group(1)}/") as response:
                    assert response.status == 200
                await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0
    assert stderr.decode() == ""
