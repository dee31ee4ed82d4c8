"""Fault injection and request paths for the simulated relay.

A :class:`Fault` is matched against the method and the *stripped* path of each request
(the ``/mj-fast``, ``/mj-relax`` and ``/mj-turbo`` speed prefixes removed). A path may use
``*`` as a wildcard for exactly one segment, e.g. ``/mj/task/*/fetch``.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

_MODE_PREFIX = re.compile(r"^/mj-(fast|relax|turbo)(?=/mj(?:/|$))")


def split_mode(path: str) -> tuple[str, str | None]:
    """``"/mj-relax/mj/submit/imagine"`` -> ``("/mj/submit/imagine", "relax")``."""
    match = _MODE_PREFIX.match(path)
    if match is None:
        return path, None
    return path[match.end() :], match.group(1)


def path_matches(pattern: str, path: str) -> bool:
    """Exact segment-wise match where a ``*`` segment in ``pattern`` matches any one segment."""
    pattern, _ = split_mode(pattern)
    want = pattern.strip("/").split("/")
    have = path.strip("/").split("/")
    if len(want) != len(have):
        return False
    return all(w == "*" or w == h for w, h in zip(want, have, strict=True))


@dataclass
class Fault:
    """One scripted misbehaviour.

    * ``status`` / ``json_body`` / ``text_body`` / ``headers``: the answer sent instead of the
      real one. Without a body, a realistic error envelope for ``status`` is sent.
    * ``raw_body``: these exact bytes with exactly ``headers`` (give the Content-Type
      there): replays a body captured from another server, e.g. a gateway's SSE stream.
    * ``delay_s``: sleep this long first (timeout tests).
    * ``truncate``: answer HTTP 200 with a JSON body cut in half (``json_body`` if given,
      otherwise the real answer); a streaming answer stops halfway without ``[DONE]``.
    * ``drop``: close the connection without any answer.
    * ``passthrough``: after ``delay_s``, let the real handler answer (slow but correct).
    * ``endless``: answer with an SSE stream of text that never ends.
    * ``body_mb``: answer ``status`` with a JSON body of this many MB, generated as sent.
    * ``hold``: the real handler runs (a submit creates its task), then the answer waits
      until this event is set: a deterministic moment to kill the client at.
    * ``lose_answer``: the real handler runs, then the connection is closed without an
      answer (the task exists, the client never learns its id).
    * ``times``: how many requests it hits; ``None`` = forever.
    """

    method: str
    path: str
    status: int = 500
    json_body: Any = None
    text_body: str | None = None
    raw_body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    truncate: bool = False
    drop: bool = False
    times: int | None = 1
    passthrough: bool = False
    endless: bool = False
    body_mb: float = 0.0
    hold: asyncio.Event | None = None
    lose_answer: bool = False
    held: int = 0  # requests the hold is keeping waiting now

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method in ("*", "") or self.method.upper() == method.upper()
        return method_ok and path_matches(self.path, path)


class FaultBook:
    """The armed faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times is not None and fault.times < 1:
            raise ValueError("Fault.times must be at least 1 (or None for forever)")
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching the request, counting one use of it."""
        for fault in self._faults:
            if not fault.matches(method, path):
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            return fault
        return None
