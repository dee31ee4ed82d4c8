"""Answers that never end or are enormous, generated as they are sent (nothing is held in
memory), for tests of the bot's input bounds: :attr:`Fault.endless` and :attr:`Fault.body_mb`.
"""

from __future__ import annotations

import itertools
import json

from aiohttp import web

_PIECE = " (simulated) and on"
_BLOCK = 64 * 1024


async def endless_stream(request: web.Request) -> web.StreamResponse:
    """A chat/completion SSE stream that sends text until the client hangs up."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    try:
        for n in itertools.count():
            chunk = {
                "id": "chatcmpl-sim-endless",
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": f"{_PIECE} {n}"},
                             "text": f"{_PIECE} {n}", "finish_reason": None}],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
    except (ConnectionError, RuntimeError):
        pass  # the client stopped reading: the point of the test
    return response


async def huge_json(request: web.Request, status: int, megabytes: float) -> web.StreamResponse:
    """A JSON body of about ``megabytes`` MB (a valid object, padded with one long string),
    sent chunked: no Content-Length warns the client, it must count while reading."""
    size = int(megabytes * 1024 * 1024)
    head = b'{"error": {"message": "(simulated) enormous body", "padding": "'
    tail = b'"}}'
    response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        await response.write(head)
        left = size - len(head) - len(tail)
        block = b"x" * _BLOCK
        while left > 0:
            await response.write(block[: min(left, _BLOCK)])
            left -= _BLOCK
        await response.write(tail)
    except (ConnectionError, RuntimeError):
        pass
    return response
