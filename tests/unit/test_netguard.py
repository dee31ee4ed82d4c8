"""The offline guard itself: a test that reaches for the internet must fail."""

from __future__ import annotations

import socket

import aiohttp
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
