"""A fake Discord for tests: the gateway websocket and the REST API on 127.0.0.1.

The real discord.py client talks to it (``Route.BASE`` and ``DEFAULT_GATEWAY`` pointed
here). Split by concern:

* :mod:`tests.fakes.discord_records` — recorded calls, waiting on them, scripted failures;
* :mod:`tests.fakes.discord_world` — guild, channels, threads, messages, the CDN;
* :mod:`tests.fakes.discord_gateway` — the websocket and what users do (slash commands,
  clicks, modal submits, messages);
* :mod:`tests.fakes.discord_rest` — the REST routes;
* :mod:`tests.fakes.discord_checks` — what Discord refuses (command definitions,
  content over 2,000 characters, embed limits, ``attachment://`` names, thread names);
* :mod:`tests.fakes.discord_payloads` — wire shapes and constants.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from tests.fakes.discord_gateway import GatewayPart
from tests.fakes.discord_payloads import TOKEN
from tests.fakes.discord_records import Call, InteractionState, Json, LocalFile, Upload, shown_text
from tests.fakes.discord_rest import RestPart

__all__ = [
    "TOKEN",
    "Call",
    "FakeDiscord",
    "InteractionState",
    "Json",
    "LocalFile",
    "Upload",
    "shown_text",
]


class FakeDiscord(GatewayPart, RestPart):
    """One fake Discord server: ``await start()``, then point discord.py at
    :attr:`api_base` and :attr:`gateway_url`; ``await stop()`` at the end."""

    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/cdn/{path:.*}", self._cdn_file)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()


@contextlib.asynccontextmanager
async def running_fake_discord(clock: Callable[[], float]) -> AsyncIterator[FakeDiscord]:
    """A started fake; on exit it stops and fails the test if the bot used unknown routes."""
    server = FakeDiscord(clock=clock)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    assert server.unknown == [], f"the bot called routes the fake does not know: {server.unknown}"
