"""Receiving updates by webhook instead of polling.

PTB's own webhook server needs tornado; a small aiohttp server is all it takes: Telegram
posts each update as JSON to ``path``, with the secret we registered in the
``X-Telegram-Bot-Api-Secret-Token`` header, and the update goes on the application's
queue like a polled one. TLS is left to a reverse proxy in front of ``listen``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES: Final = ("message", "callback_query")


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    url: str  # the public https:// URL Telegram posts to (proxied to listen_host:listen_port)
    listen_host: str = "127.0.0.1"
    listen_port: int = 8443
    path: str = "/telegram"
    secret_token: str | None = None  # 1-256 of A-Z a-z 0-9 _ -; None: random per start


class WebhookServer:
    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], settings: WebhookSettings
                 ) -> None:
        self._app = app
        self._settings = settings
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        # The URL is public: without a secret anyone could post updates as any user. When
        # none is configured, a fresh one is registered at every start.
        self._secret = settings.secret_token or secrets.token_urlsafe(32)

    async def start(self) -> None:
        server = web.Application()
        server.router.add_post(self._settings.path, self._receive)
        self._runner = web.AppRunner(server, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.listen_host, self._settings.listen_port)
        await site.start()
        sockets = site._server.sockets if site._server is not None else ()  # type: ignore[attr-defined]
        self.port = sockets[0].getsockname()[1] if sockets else self._settings.listen_port
        await self._app.bot.set_webhook(
            self._settings.url,
            secret_token=self._secret,
            allowed_updates=list(ALLOWED_UPDATES),
        )
        log.info("Telegram webhook listening on %s:%s%s", self._settings.listen_host, self.port,
                 self._settings.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            return web.Response(status=403)
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400)
        update = Update.de_json(data, self._app.bot)
        if update is not None:
            await self._app.update_queue.put(update)
        return web.Response()
