"""The optional Midjourney callback endpoint (``[relay] notify_url`` + ``notify_listen``).

The relay POSTs a task object to ``notifyHook`` whenever a task changes. We treat a
callback only as a hint that wakes the tracker: it polls the named task at once instead
of at its next tick. The body is never trusted (anyone who can reach the port could
post), so nothing in it is stored or shown; polling stays the source of truth.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Final

from aiohttp import web

from bot.core.errors import StartupError

log = logging.getLogger(__name__)

# Callbacks may carry the task's base64 mask; anything bigger is not a callback.
_MAX_BODY: Final = 4 * 1024 * 1024


class NotifyListener:
    def __init__(
        self, host: str, port: int, path: str, wake: Callable[[str | None], None]
    ) -> None:
        self._host = host
        self._port = port
        self._path = path or "/"
        self._wake = wake
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when listening on port 0)."""
        if self._runner is None or not self._runner.addresses:
            raise RuntimeError("the notify listener is not started")
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_post(self._path, self._callback)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as exc:
            await runner.cleanup()
            raise StartupError(
                f"cannot listen for relay callbacks on {self._host}:{self._port} "
                f"({exc.strerror or exc}); check relay.notify_listen"
            ) from None
        self._runner = runner
        log.info("listening for relay callbacks on %s:%s%s", self._host, self.port, self._path)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _callback(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # "[[[[…"
            return web.Response(status=400, text="expected a JSON task object")
        task_id = body.get("id") if isinstance(body, dict) else None
        log.debug("relay callback for task %s", task_id)
        self._wake(task_id if isinstance(task_id, str) else None)
        return web.Response(text="ok")
