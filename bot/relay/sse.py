"""Server-sent-event streams of chat / completion deltas.

``DeltaStream`` is both an async iterator and an async context manager (like
openai-python's ``AsyncStream``): iterate it directly, or wrap it in ``async with`` to
release the connection early when you stop reading. It opens the request lazily on the
first ``__anext__``.

A stream that ends without ``data: [DONE]`` (and without a ``finish_reason``) is a
partial answer: the deltas that arrived are yielded, then ``RelayConnectionError`` is
raised so the caller can keep the text and say it was cut off.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from types import TracebackType

import aiohttp

from bot.relay import errors
from bot.relay.envelopes import decode_json, error_in_body
from bot.relay.transport import DEFAULT_MAX_RESPONSE_BYTES, read_capped
from bot.relay.types import ChatDelta

log = logging.getLogger(__name__)

OpenStream = Callable[[], Awaitable[aiohttp.ClientResponse]]
ParseChunk = Callable[[object], ChatDelta | None]
ParseWhole = Callable[[object], ChatDelta]

_DONE = "[DONE]"


class DeltaStream:
    def __init__(
        self,
        open_stream: OpenStream,
        parse_chunk: ParseChunk,
        parse_whole: ParseWhole,
        *,
        max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._open = open_stream
        self._max_bytes = max_bytes
        self._parse_chunk = parse_chunk
        self._parse_whole = parse_whole
        self._response: aiohttp.ClientResponse | None = None
        self._deltas: AsyncIterator[ChatDelta] | None = None

    def __aiter__(self) -> DeltaStream:
        return self

    async def __anext__(self) -> ChatDelta:
        if self._deltas is None:
            self._deltas = self._generate()
        try:
            return await anext(self._deltas)
        except BaseException:
            await self.aclose()
            raise

    async def __aenter__(self) -> DeltaStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._response is not None:
            self._response.release()
            self._response = None

    async def _generate(self) -> AsyncIterator[ChatDelta]:
        self._response = response = await self._open()
        if response.content_type != "text/event-stream" and "json" in response.content_type:
            # Some relays ignore stream=true (or report an error) with one JSON body.
            yield self._parse_whole(await self._read_json(response, self._max_bytes))
            return
        finished = False
        received = 0
        try:
            # Closed here when the answer ends at [DONE] with the line reader suspended:
            # left to the garbage collector, asyncio's finalizer hook would close it later
            # in a task of its own, woken through the loop's self-pipe.
            async with aclosing(_lines(response.content, self._max_bytes)) as lines:
                async for raw_line in lines:
                    # Keep-alive comments or a runaway answer must not stream forever.
                    received += len(raw_line)
                    if received > self._max_bytes:
                        raise errors.ResponseTooLargeError(self._max_bytes)
                    data = _data_of(raw_line)
                    if data is None:
                        continue
                    if data == _DONE:
                        return
                    chunk = decode_json(data.encode())
                    if (error := error_in_body(chunk)) is not None:
                        # The HTTP status was 200 long ago: this line is the only record.
                        log.warning("relay sent an error inside the answer stream: %.500s", data)
                        raise error
                    delta = self._parse_chunk(chunk)
                    if delta is not None:
                        finished = finished or delta.finish_reason is not None
                        yield delta
        except TimeoutError as exc:  # before ClientError: aiohttp's read timeout is both
            raise errors.RelayTimeoutError("the answer stream went silent") from exc
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise errors.RelayConnectionError(f"the answer stream broke: {exc}", sent=True) from exc
        except ValueError as exc:  # aiohttp refuses a line longer than its buffer
            raise errors.RelayDecodeError(f"unreadable stream line: {exc}") from exc
        if not finished:
            raise errors.RelayConnectionError("the answer stream ended before [DONE]", sent=True)

    @staticmethod
    async def _read_json(response: aiohttp.ClientResponse, max_bytes: int) -> object:
        try:
            body = decode_json(await read_capped(response, max_bytes))
        except TimeoutError as exc:
            raise errors.RelayTimeoutError("the relay did not answer in time") from exc
        except aiohttp.ClientError as exc:
            raise errors.RelayConnectionError(f"the answer broke: {exc}", sent=True) from exc
        if (error := error_in_body(body)) is not None:
            raise error
        return body


async def _lines(content: aiohttp.StreamReader, max_bytes: int) -> AsyncGenerator[bytes, None]:
    """The stream's lines, each with its ``\\n`` (the last one may lack it), split from
    whatever arrived at once: an answer's chunks come in a few reads, and asking aiohttp
    for one line at a time costs a buffer search and an await per line. A line still
    unfinished after ``max_bytes`` is a runaway answer."""
    pending = b""
    async for data in content.iter_any():
        pending += data
        start = 0
        while (end := pending.find(b"\n", start)) >= 0:
            yield pending[start:end + 1]
            start = end + 1
        pending = pending[start:]
        if len(pending) > max_bytes:
            raise errors.ResponseTooLargeError(max_bytes)
    if pending:
        yield pending


def _data_of(raw_line: bytes) -> str | None:
    """The payload of a ``data:`` line; None for blanks, ``:`` comments and other fields."""
    line = raw_line.decode("utf-8", "replace").rstrip("\r\n")
    if not line.startswith("data:"):
        return None
    return line[5:].strip()
