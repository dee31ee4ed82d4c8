"""python-telegram-bot's HTTP requests on aiohttp, for Bot API calls without a proxy.

PTB's own :class:`~telegram.request.HTTPXRequest` goes through httpx, httpcore, anyio and
h11 (pure-Python HTTP parsing): about 0.75 ms of CPU per Bot API call on its own, against
about 0.2 ms for aiohttp (C parser, already a dependency for the relay client). Every chat
message makes three calls (getUpdates, sendChatAction, sendMessage), all on the one event
loop, so this is the largest share of the bot's CPU per message. Through a proxy PTB's
httpx request stays in use (it speaks SOCKS and every proxy form the config allows).

Same contract as ``HTTPXRequest``: (status, body) back for PTB to judge (the parameters go as
a JSON body instead of a form, or multipart with files as there); a timeout is
:class:`~telegram.error.TimedOut`, any other transport failure
:class:`~telegram.error.NetworkError`. The environment's proxy variables are not read
(``[network] trust_env`` is weighed before this is chosen).
"""

from __future__ import annotations

import json
from typing import Final

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's defaults for HTTPXRequest (seconds); ``None`` waits forever.
_READ_S: Final = 5.0
_WRITE_S: Final = 5.0
_CONNECT_S: Final = 5.0
_POOL_S: Final = 1.0
_MEDIA_WRITE_S: Final = 20.0
_JSON: Final = "application/json"


def _chosen(value: ODVInput[float], default: float | None) -> float | None:
    """A timeout PTB passes: its "not given" marker means the default; None, no limit."""
    if isinstance(value, DefaultValue):
        return default
    return value


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a connection pool of ``pool_size``."""

    def __init__(self, *, pool_size: int) -> None:
        self._pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return _READ_S

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size), trust_env=False
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        headers = {"User-Agent": self.USER_AGENT}
        files = request_data is not None and request_data.contains_files
        body: aiohttp.FormData | bytes | None = None
        if files:
            assert request_data is not None
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        elif request_data is not None and (parameters := request_data.parameters):
            # Without files: a JSON body (the Bot API takes one for every call but uploads),
            # encoded in one C call, where the urlencoded form PTB's httpx request sends
            # JSON-encodes each value and then percent-encodes it all in Python, about six
            # times the CPU for a chat answer, on every Bot API call of every message.
            # UTF-8 as it is: a text that cannot be encoded fails as it did in the form.
            body = json.dumps(parameters, ensure_ascii=False).encode()
            headers["Content-Type"] = _JSON
        connect = _chosen(connect_timeout, _CONNECT_S)
        pool = _chosen(pool_timeout, _POOL_S)
        # aiohttp has no write timeout of its own: a slow upload is bounded by the
        # read timeout that follows it and by the total below.
        write = _chosen(write_timeout, _MEDIA_WRITE_S if files else _WRITE_S)
        read = _chosen(read_timeout, _READ_S)
        timeout = aiohttp.ClientTimeout(
            # ``connect`` includes waiting for a free connection of the pool.
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
            total=None if None in (connect, pool, write, read)
            else (connect or 0) + (pool or 0) + (write or 0) + (read or 0),
        )
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
