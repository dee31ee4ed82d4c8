"""What the simulated relay saw: every request, in order, waitable from tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.sim.faults import path_matches


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the relay received it.

    ``path`` has any ``/mj-fast|/mj-relax|/mj-turbo`` prefix stripped; ``mode`` is that
    prefix's speed (``"fast"``, ``"relax"``, ``"turbo"``) or ``None``. ``json`` is the parsed
    JSON body (``None`` if absent or invalid). Multipart uploads fill ``form`` (text fields)
    and ``files`` (field name -> ``(filename, content_type, size)``). ``at`` is when it
    arrived, on the simulator's clock.
    """

    method: str
    path: str
    mode: str | None
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    raw_path: str = ""
    at: float = 0.0


class RequestLog:
    """Append-only list of requests with a condition tests can wait on.

    ``only``: path patterns (as :meth:`matching` takes them) of the requests worth keeping;
    None keeps every request. A benchmark sending tens of thousands of requests keeps only
    the ones it counts."""

    def __init__(self, only: Sequence[str] | None = None) -> None:
        self.only = tuple(only) if only is not None else None
        self.requests: list[RecordedRequest] = []
        # Each streamed answer: when its first and last chunk with text went out (sim clock).
        self.streams: list[tuple[float, float]] = []
        self._changed = asyncio.Condition()

    def keeps(self, path: str) -> bool:
        return self.only is None or any(path_matches(p, path) for p in self.only)

    async def add(self, request: RecordedRequest) -> None:
        async with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def matching(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if path_matches(path, r.path) and (method is None or r.method == method.upper())
        ]

    async def wait_for(
        self,
        path: str,
        count: int,
        timeout: float,  # noqa: ASYNC109 - a plain number is what tests want to pass
        method: str | None = None,
    ) -> list[RecordedRequest]:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.matching(path, method)) >= count)
        return self.matching(path, method)
