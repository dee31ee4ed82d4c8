"""``RelayClient``: one object per relay, resource groups as attributes.

    client = RelayClient(session, base_url="https://relay.example", api_key=key, timeout_s=60)
    answer = await client.chat.complete("gpt-4o", [ChatMessage("user", "hi")])
    job = await client.mj.imagine("a cat --ar 16:9", mode="relax")

The ``aiohttp.ClientSession`` belongs to the caller (the app opens and closes it).
All HTTP goes through ``Transport._request`` (auth header, per-request timeout, retries,
error mapping); see ``transport.py`` and ``retry.py``.
"""

from __future__ import annotations

import asyncio
import random as random_module
from collections.abc import Callable

import aiohttp

from bot.metrics import Metrics
from bot.relay.audio import AudioResource
from bot.relay.chat import ChatResource
from bot.relay.completions import CompletionsResource
from bot.relay.embeddings import EmbeddingsResource
from bot.relay.images import ImagesResource
from bot.relay.luma import LumaResource
from bot.relay.midjourney import MidjourneyResource
from bot.relay.retry import RetryPolicy
from bot.relay.suno import SunoResource
from bot.relay.transport import DEFAULT_MAX_RESPONSE_BYTES, Sleep, Transport
from bot.relay.types import MjMode

_DEFAULT_RETRY = RetryPolicy()


class RelayClient:
    """Typed access to every endpoint of RELAY_API.md §10.

    ``timeout_s`` bounds each request (connect + answer); for streams it bounds connecting
    and each silence between chunks, not the whole answer. ``mj_mode`` is the default
    Midjourney speed (fast / relax / turbo). ``sleep`` and ``random`` are injected so tests
    can run retries without waiting. ``concurrency`` bounds the requests in flight at once
    (per process: each bot process sharing a database has its own bound).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: str,
        timeout_s: float,
        mj_mode: MjMode = "fast",
        notify_hook: str | None = None,
        retry: RetryPolicy = _DEFAULT_RETRY,
        sleep: Sleep = asyncio.sleep,
        random: Callable[[], float] = random_module.random,
        metrics: Metrics | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        concurrency: int | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if retry.attempts < 1:
            raise ValueError("retry.attempts counts the first try and must be at least 1")
        transport = Transport(
            session,
            base_url=base_url,
            api_key=api_key,
            timeout_s=timeout_s,
            retry=retry,
            sleep=sleep,
            random=random,
            metrics=metrics,
            max_response_bytes=max_response_bytes,
            concurrency=concurrency,
        )
        self._transport = transport
        self.chat = ChatResource(transport)
        self.completions = CompletionsResource(transport)
        self.images = ImagesResource(transport)
        self.embeddings = EmbeddingsResource(transport)
        self.audio = AudioResource(transport)
        # Every Midjourney submit asks the relay to call this URL back (a polling hint).
        self.mj = MidjourneyResource(transport, default_mode=mj_mode, notify_hook=notify_hook)
        self.suno = SunoResource(transport)
        self.luma = LumaResource(transport)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    def __repr__(self) -> str:
        return f"RelayClient(base_url={self.base_url!r})"
