"""A small proxy on loopback that counts what passes through it.

It speaks the three ways clients use a proxy: HTTP ``CONNECT`` tunnels, HTTP
forwarding (``GET http://host/path``, what clients do for plain-http targets,
websocket upgrades included) and SOCKS5. Each accepted connection is recorded as a
:class:`Passage` (kind and target), then bytes are piped both ways untouched::

    async with FakeProxy(credentials=("u", "p")) as proxy:
        ...  # point a client at proxy.http_url or proxy.socks_url
        assert proxy.targets("forward") == {"127.0.0.1:8081"}

With ``credentials``, HTTP clients without the right ``Proxy-Authorization`` get 407 and
SOCKS5 clients must pass the username/password sub-negotiation; refusals are counted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import struct
from dataclasses import dataclass
from typing import Final, Self
from urllib.parse import urlsplit

_HEAD_LIMIT: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class Passage:
    kind: str  # "connect", "forward" or "socks5"
    target: str  # "host:port"
    first_line: str  # the request line (HTTP kinds) or "" (SOCKS)


class FakeProxy:
    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self._credentials = credentials
        self.passages: list[Passage] = []
        self.refused = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self.port = 0

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()
        if self._pipes:
            await asyncio.gather(*self._pipes, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def _userinfo(self) -> str:
        return f"{self._credentials[0]}:{self._credentials[1]}@" if self._credentials else ""

    @property
    def http_url(self) -> str:
        return f"http://{self._userinfo()}127.0.0.1:{self.port}"

    @property
    def socks_url(self) -> str:
        return f"socks5://{self._userinfo()}127.0.0.1:{self.port}"

    def targets(self, kind: str | None = None) -> set[str]:
        return {p.target for p in self.passages if kind is None or p.kind == kind}

    # -- serving ------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._pipes.add(task)
        try:
            first = await reader.readexactly(1)
            if first == b"\x05":
                await self._socks5(reader, writer)
            else:
                await self._http(first, reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self._pipes.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _http(
        self, first: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = first + await reader.readuntil(b"\r\n\r\n")
        if len(head) > _HEAD_LIMIT:
            raise ValueError("request head too large")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, version = request_line.split(" ", 2)
        headers = [line for line in header_lines if line]
        if not self._authorised(headers):
            self.refused += 1
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b"Proxy-Authenticate: Basic realm=\"fake\"\r\n"
                         b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            self.passages.append(Passage("connect", target, request_line))
            up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await _pipe_both(reader, writer, up_reader, up_writer)
            return
        url = urlsplit(target)
        port_number = url.port or (443 if url.scheme == "https" else 80)
        self.passages.append(Passage("forward", f"{url.hostname}:{port_number}", request_line))
        up_reader, up_writer = await asyncio.open_connection(url.hostname, port_number)
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        kept = [h for h in headers if not h.lower().startswith(("proxy-authorization:",
                                                                 "proxy-connection:"))]
        if not any(h.lower().startswith("upgrade:") for h in headers):
            # One request per connection, so each is recorded (a websocket keeps its own).
            kept = [h for h in kept if not h.lower().startswith("connection:")]
            kept.append("Connection: close")
        up_writer.write(("\r\n".join([f"{method} {path} {version}", *kept]) + "\r\n\r\n")
                        .encode("latin-1"))
        await up_writer.drain()
        await _pipe_both(reader, writer, up_reader, up_writer)

    def _authorised(self, headers: list[str]) -> bool:
        if self._credentials is None:
            return True
        expected = base64.b64encode(":".join(self._credentials).encode()).decode()
        return any(
            h.lower().startswith("proxy-authorization:")
            and h.split(":", 1)[1].strip() == f"Basic {expected}"
            for h in headers
        )

    async def _socks5(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        (count,) = await reader.readexactly(1)
        methods = await reader.readexactly(count)
        wanted = 0x02 if self._credentials else 0x00
        if wanted not in methods:
            self.refused += 1
            writer.write(b"\x05\xff")
            return
        writer.write(bytes([5, wanted]))
        if self._credentials:
            _version, user_len = await reader.readexactly(2)
            user = await reader.readexactly(user_len)
            (password_len,) = await reader.readexactly(1)
            password = await reader.readexactly(password_len)
            if (user.decode(), password.decode()) != self._credentials:
                self.refused += 1
                writer.write(b"\x01\x01")
                return
            writer.write(b"\x01\x00")
        _version, command, _reserved, address_type = await reader.readexactly(4)
        if address_type == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif address_type == 4:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        else:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode()
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != 1:  # only CONNECT
            writer.write(b"\x05\x07\x00\x01" + bytes(6))
            return
        self.passages.append(Passage("socks5", f"{host}:{port}", ""))
        up_reader, up_writer = await asyncio.open_connection(host, port)
        writer.write(b"\x05\x00\x00\x01" + bytes(6))
        await writer.drain()
        await _pipe_both(reader, writer, up_reader, up_writer)


async def _pipe_both(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    try:
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
    finally:
        up_writer.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            sink.write_eof()
