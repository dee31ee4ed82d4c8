"""The single HTTP path of the relay client: auth, timeouts, retries, error mapping.

Every resource module calls one of ``request_json`` / ``request_body`` / ``open_stream``,
which all go through ``_request``. That is the only place that talks to aiohttp, so the
promise "nothing but ``errors.py`` classes escapes ``bot.relay``" is kept here.
The API key lives only in the header dict; it is never logged or shown in ``repr``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import aiohttp

from bot.metrics import Metrics
from bot.relay import errors
from bot.relay.envelopes import decode_json, error_from_response
from bot.relay.retry import RetryPolicy, is_retryable

log = logging.getLogger(__name__)

T = TypeVar("T")
_CHUNK = 64 * 1024
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
FormFactory = Callable[[], aiohttp.FormData]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RawBody:
    status: int
    data: bytes
    content_type: str


class _AttemptFailed(Exception):
    """One attempt failed; carries the mapped error and whether the request went out."""

    def __init__(self, error: errors.RelayError, *, pre_send: bool, final: bool = False) -> None:
        super().__init__(error.message)
        self.error = error
        self.pre_send = pre_send
        self.final = final


def _failure_from_exception(exc: BaseException, *, responded: bool) -> _AttemptFailed:
    error: errors.RelayError
    if isinstance(exc, aiohttp.InvalidURL):
        error = errors.RelayConnectionError(f"invalid relay URL: {exc}", sent=False)
        return _AttemptFailed(error, pre_send=False, final=True)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = errors.RelayTimeoutError("timed out connecting to the relay")
        return _AttemptFailed(error, pre_send=True)
    if isinstance(exc, TimeoutError):
        error = errors.RelayTimeoutError("the relay did not answer in time")
        return _AttemptFailed(error, pre_send=False)
    if isinstance(exc, aiohttp.ClientConnectorError) and not responded:
        error = errors.RelayConnectionError(f"cannot connect to the relay: {exc}", sent=False)
        return _AttemptFailed(error, pre_send=True)
    what = "the connection to the relay broke" if responded else "the relay closed the connection"
    error = errors.RelayConnectionError(f"{what}: {exc}", sent=True)
    return _AttemptFailed(error, pre_send=False)


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The whole body, refusing one over ``max_bytes`` (declared or while reading)."""
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise errors.ResponseTooLargeError(max_bytes)
    parts: list[bytes] = []
    total = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise errors.ResponseTooLargeError(max_bytes)
        parts.append(chunk)
    return b"".join(parts)


async def _read_prefix(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of an error body: enough for any error envelope."""
    parts: list[bytes] = []
    total = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        parts.append(chunk)
        total += len(chunk)
        if total >= max_bytes:
            break
    return b"".join(parts)[:max_bytes]


def _read_all(max_bytes: int) -> Callable[[aiohttp.ClientResponse], Awaitable[RawBody]]:
    async def finish(response: aiohttp.ClientResponse) -> RawBody:
        try:
            data = await read_capped(response, max_bytes)
        finally:
            response.release()
        return RawBody(response.status, data, response.content_type)

    return finish


async def _keep_open(response: aiohttp.ClientResponse) -> aiohttp.ClientResponse:
    return response


class Transport:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: str,
        timeout_s: float,
        retry: RetryPolicy,
        sleep: Sleep,
        random: Callable[[], float],
        metrics: Metrics | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        concurrency: int | None = None,
    ) -> None:
        self._session = session
        self._metrics = metrics
        # A relay body is read into memory: a broken or hostile relay must not fill it.
        self.max_response_bytes = max_response_bytes
        # ``[limits] relay_concurrency``: requests in flight at once from this process (a
        # stream holds its slot until the relay starts answering); the rest wait their turn.
        self._slots = contextlib.nullcontext() if not concurrency else asyncio.Semaphore(
            concurrency
        )
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        # A stream may legitimately run for minutes: bound connecting and each silence.
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout_s, sock_connect=timeout_s, sock_read=timeout_s
        )
        self._retry = retry
        self._sleep = sleep
        self._random = random

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        params: Mapping[str, str] | None = None,
        form: FormFactory | None = None,
        idempotent: bool = False,
    ) -> object:
        body = await self.request_body(
            method, path, json_body=json_body, params=params, form=form, idempotent=idempotent
        )
        return decode_json(body.data)

    async def request_body(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        params: Mapping[str, str] | None = None,
        form: FormFactory | None = None,
        idempotent: bool = False,
    ) -> RawBody:
        return await self._request(
            method,
            path,
            json_body=json_body,
            params=params,
            form=form,
            idempotent=idempotent,
            client_timeout=self._timeout,
            finish=_read_all(self.max_response_bytes),
        )

    async def open_stream(
        self, method: str, path: str, *, json_body: object
    ) -> aiohttp.ClientResponse:
        """A successful, still-open response for SSE reading. The caller must release it."""
        return await self._request(
            method,
            path,
            json_body=json_body,
            params=None,
            form=None,
            idempotent=False,
            client_timeout=self._stream_timeout,
            finish=_keep_open,
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: object,
        params: Mapping[str, str] | None,
        form: FormFactory | None,
        idempotent: bool,
        client_timeout: aiohttp.ClientTimeout,
        finish: Callable[[aiohttp.ClientResponse], Awaitable[T]],
    ) -> T:
        url = self.base_url + path
        attempt = 1
        while True:
            # Latency until the answer starts (a stream's headers), per attempt.
            started = time.perf_counter()
            try:
                async with self._slots:
                    started = time.perf_counter()  # the relay's time, not the queue's
                    result = await self._attempt(
                        method, url, json_body, params, form, client_timeout, finish
                    )
            except _AttemptFailed as failed:
                self._observe(path, started, failed.error)
                error = failed.error
                may_retry = (
                    not failed.final
                    and attempt < self._retry.attempts
                    and is_retryable(error, idempotent=idempotent, pre_send=failed.pre_send)
                )
                delay = self._retry.delay_for(error, attempt, self._random) if may_retry else None
                if delay is None:
                    raise error from failed.__cause__
                log.info(
                    "relay %s %s failed (%s); retry %d in %.2fs",
                    method,
                    path,
                    type(error).__name__,
                    attempt,
                    delay,
                )
                attempt += 1
                await self._sleep(delay)
            else:
                self._observe(path, started, None)
                return result

    def _observe(self, path: str, started: float, error: errors.RelayError | None) -> None:
        if self._metrics is not None:
            self._metrics.observe_relay(path, time.perf_counter() - started, error)

    async def _attempt(
        self,
        method: str,
        url: str,
        json_body: object,
        params: Mapping[str, str] | None,
        form: FormFactory | None,
        client_timeout: aiohttp.ClientTimeout,
        finish: Callable[[aiohttp.ClientResponse], Awaitable[T]],
    ) -> T:
        try:
            response = await self._session.request(
                method,
                url,
                headers=self._headers,
                json=json_body if form is None else None,
                data=form() if form is not None else None,
                params=params,
                timeout=client_timeout,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _failure_from_exception(exc, responded=False) from exc
        try:
            if response.status >= 400:
                raw = await _read_prefix(response, self.max_response_bytes)
                log.debug("relay %s %s -> HTTP %d", method, response.url.path, response.status)
                error = error_from_response(
                    response.status, raw, response.headers, path=url.removeprefix(self.base_url)
                )
                raise _AttemptFailed(error, pre_send=False)
            return await finish(response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            response.release()
            raise _failure_from_exception(exc, responded=True) from exc
        except BaseException:
            response.release()
            raise
