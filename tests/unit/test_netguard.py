"""The offline guard itself: a test that reaches for the internet must fail."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from tests.netguard import NetworkGuardError


def test_connect_to_public_address_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(
        NetworkGuardError
    ):
        sock.connect(("203.0.113.7", 443))


async def test_http_client_cannot_reach_a_public_host() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises((NetworkGuardError, aiohttp.ClientConnectorError)) as caught:
            await session.get("http://example.com/")
    error = caught.value
    assert isinstance(error, NetworkGuardError) or isinstance(error.__cause__, NetworkGuardError)


async def test_loopback_server_is_reachable() -> None:
    app = web.Application()

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{port}/"
        ) as resp:
            assert await resp.text() == "hi"
    finally:
        await runner.cleanup()


async def test_unix_sockets_pass_the_guard(tmp_path: Path) -> None:
    # PostgreSQL is reached over a unix socket as often as over loopback TCP.
    path = tmp_path / ".s.PGSQL.5432"

    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hi")
        await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(greet, path=str(path))
    try:
        reader, writer = await asyncio.open_unix_connection(str(path))
        assert await reader.read() == b"hi"
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_a_database_on_a_public_host_is_refused() -> None:
    with pytest.raises(NetworkGuardError):
        await asyncpg.connect("postgresql://bot@203.0.113.7:5432/relaybot", timeout=5)
