"""A fresh PostgreSQL schema per test, on the cluster named by RELAYBOT_TEST_POSTGRES_URL.

``.ci/postgres.sh start DIR`` starts a throwaway cluster and prints the variable; .ci/run does
that. Without it the PostgreSQL tests are skipped with the reason (``pytest -ra`` lists it),
except under CI (``CI=true``), where a missing database is a failure, not a skip.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import struct
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

URL_ENV = "RELAYBOT_TEST_POSTGRES_URL"


def _base_url() -> str:
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        return url
    reason = f"PostgreSQL tests need {URL_ENV} (see .ci/postgres.sh to start a cluster)"
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"CI must run the PostgreSQL tests: {reason}", pytrace=False)
    pytest.skip(reason)


def with_search_path(url: str, schema: str) -> str:
    # asyncpg passes unknown URL query parameters on as server settings.
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """The URL of an empty schema of its own (``search_path``), dropped after the test."""
    base = _base_url()
    schema = f"test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield with_search_path(base, schema)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


class WireCounter:
    """A loopback TCP proxy in front of the test cluster that counts the round trips its
    clients make: every Sync (the end of an extended-protocol request, what asyncpg sends
    per statement) and every simple Query waits for the server's ReadyForQuery before the
    client sends its next request. Bytes pass through unchanged."""

    _SSL_OR_GSS = (80877103, 80877104)  # pre-startup requests; the server answers one byte

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._server: asyncio.Server | None = None
        self._streams: set[asyncio.StreamWriter] = set()
        self.round_trips = 0
        self.address: tuple[str, int] = ("", 0)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._proxy, "127.0.0.1", 0)
        self.address = self._server.sockets[0].getsockname()[:2]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._streams:
            writer.close()
        await self._server.wait_closed()

    async def _proxy(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
                     ) -> None:
        server_in, server_out = await asyncio.open_connection(*self._target)
        self._streams.update((client_out, server_out))
        await asyncio.gather(self._from_client(client_in, server_out),
                             self._pipe(server_in, client_out), return_exceptions=True)
        for writer in (client_out, server_out):
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def _from_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                           ) -> None:
        starting = True
        while True:
            if starting:  # untyped: length, then a code (SSL/GSS request or the startup)
                head = await reader.readexactly(8)
                length, code = struct.unpack("!ii", head)
                body = await reader.readexactly(length - 8)
                starting = code in self._SSL_OR_GSS
            else:
                head = await reader.readexactly(5)
                body = await reader.readexactly(struct.unpack("!i", head[1:])[0] - 4)
                if head[:1] in (b"S", b"Q"):
                    self.round_trips += 1
            writer.write(head + body)
            await writer.drain()


@pytest.fixture
async def counted_postgres_url(postgres_url: str) -> AsyncIterator[tuple[str, WireCounter]]:
    """``postgres_url`` through a ``WireCounter``: the URL to connect to and the counter."""
    parts = urlsplit(postgres_url)
    counter = WireCounter((parts.hostname or "127.0.0.1", parts.port or 5432))
    await counter.start()
    host, port = counter.address
    user = parts.netloc.rpartition("@")[0]
    # Plain text on the wire, so the counter can read it.
    url = urlunsplit(parts._replace(
        netloc=f"{user}@{host}:{port}" if user else f"{host}:{port}",
        query="&".join(part for part in (parts.query, "sslmode=disable") if part)))
    try:
        yield url, counter
    finally:
        await counter.close()
