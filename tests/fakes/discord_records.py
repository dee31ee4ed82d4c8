"""What the fake Discord records, and how tests wait for it.

Every REST request becomes a :class:`Call`; tests wait for calls with
:meth:`Recorder.wait_for` (an ``asyncio.Condition``, no sleeps). Requests the fake does
not know, and bodies Discord would refuse, land in :attr:`Recorder.unknown` so the
fixture fails the test. :meth:`Recorder.fail` scripts errors such as a 429 with
``retry_after``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request (``files[n]``)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str  # without the /api/v10 prefix
    query: Mapping[str, str]
    json: Any  # the JSON body, or payload_json of a multipart body
    files: tuple[Upload, ...] = ()
    status: int = 200
    at: float = 0.0  # the fake's clock when the call arrived

    @property
    def message(self) -> Json:
        """The message part of the body (an interaction callback nests it in ``data``)."""
        body = self.json if isinstance(self.json, dict) else {}
        data = body.get("data") if "type" in body and "data" in body else body
        return data if isinstance(data, dict) else {}

    @property
    def content(self) -> str | None:
        return self.message.get("content")

    @property
    def embeds(self) -> list[Json]:
        return list(self.message.get("embeds") or [])

    @property
    def shown(self) -> str:
        """The text a user reads: content and embed descriptions."""
        return shown_text(self.message)


def shown_text(message: Json) -> str:
    """The text a message shows: its content and its embeds' descriptions."""
    parts = [message.get("content") or ""]
    parts += [embed.get("description") or "" for embed in message.get("embeds") or []]
    return "\n".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file a fake user attaches (served from the fake's CDN path)."""

    filename: str
    data: bytes
    content_type: str


@dataclass(slots=True)
class InteractionState:
    id: str
    token: str
    type: int
    channel_id: str
    message_id: str | None = None  # the component's message (type 3/5 from a component)
    original_id: str | None = None  # the response message
    response_type: int | None = None
    modal: Json | None = None
    choices: list[Json] = field(default_factory=list)


@dataclass(slots=True)
class Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Json
    headers: Mapping[str, str]
    times: int


def pattern(template: str) -> re.Pattern[str]:
    """``/channels/*/messages`` → a regex where ``*`` is one path segment."""
    return re.compile("^" + re.escape(template).replace(r"\*", "[^/]+") + "$")


class Recorder:
    """Calls, unknown requests, scripted failures and waiting on them."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.calls: list[Call] = []
        self.unknown: list[str] = []
        self._failures: list[Failure] = []
        self._changed = asyncio.Condition()

    def calls_to(self, method: str, template: str) -> list[Call]:
        matcher = pattern(template)
        return [c for c in self.calls if method in ("*", c.method) and matcher.match(c.path)]

    async def wait_for(
        self,
        method: str,
        template: str,
        count: int = 1,
        *,
        where: Callable[[Call], bool] = lambda call: True,
        timeout_s: float = 5.0,
    ) -> list[Call]:
        """Wait until ``count`` calls match; return all matching calls."""

        def matching() -> list[Call]:
            return [c for c in self.calls_to(method, template) if where(c)]

        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(matching()) >= count), timeout_s
            )
        return matching()

    async def wait_until(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout_s)

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def record(self, call: Call) -> None:
        self.calls.append(call)
        await self.notify()

    def fail(
        self,
        method: str,
        template: str,
        *,
        status: int = 429,
        retry_after: float = 0.01,
        times: int = 1,
        body: Json | None = None,
    ) -> None:
        """The next ``times`` matching requests fail (429 answers carry ``retry_after``)."""
        headers: dict[str, str] = {"Via": "1.1 google"}
        if status == 429:
            body = body or {"message": "You are being rate limited.",
                            "retry_after": retry_after, "global": False}
            headers.update({"Retry-After": str(retry_after), "X-RateLimit-Scope": "user"})
        body = body or {"message": "scripted failure", "code": 0}
        self._failures.append(Failure(method, pattern(template), status, body, headers, times))

    def take_failure(self, method: str, path: str) -> Failure | None:
        for failure in self._failures:
            if failure.method == method and failure.pattern.match(path) and failure.times > 0:
                failure.times -= 1
                return failure
        return None
