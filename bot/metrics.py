"""Prometheus metrics, served on ``[metrics] listen`` together with ``/healthz``.

Each :class:`Metrics` owns its own ``CollectorRegistry`` (never the process-global
one), so two Apps in one process (tests, or a future multi-bot host) count separately.
Counters live in memory and start at zero with the process, as Prometheus expects;
durable state stays in the store. The endpoint is an aiohttp route in the bot's event
loop, not the client library's thread server.

What is counted, and where:

* commands by name and outcome — the dispatcher;
* relay latency (histogram) and errors by kind — the relay transport, per request;
* jobs by state — created by a command, finished as the tracker sees them;
* deliveries by platform and outcome — the job tracker;
* credits charged to users, by capability — the credits ledger (``bot.core.credits``), when
  a charge entry is written (with ``[credits] enabled = false`` the ledger still charges).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Final

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

LATENCY_BUCKETS: Final = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
_TASK_ID: Final = re.compile(r"^[0-9a-fA-F-]{6,}$|^\d+$")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.commands = Counter(
            "relaybot_commands", "Commands and messages handled, by name and outcome",
            ["command", "outcome"], registry=r,
        )
        self.relay_latency = Histogram(
            "relaybot_relay_request_seconds", "Relay request latency, by endpoint",
            ["endpoint"], buckets=LATENCY_BUCKETS, registry=r,
        )
        self.relay_errors = Counter(
            "relaybot_relay_errors", "Relay requests that failed, by kind of error",
            ["kind"], registry=r,
        )
        self.jobs = Counter(
            "relaybot_jobs", "Long-running jobs entering a state, by kind and state",
            ["kind", "state"], registry=r,
        )
        self.deliveries = Counter(
            "relaybot_deliveries", "Job results sent to a chat, by platform and outcome",
            ["platform", "outcome"], registry=r,
        )
        # Every relay request observes its latency: the histogram of each endpoint is looked
        # up once (``labels`` validates and locks on every call).
        self._latency_of: dict[str, Histogram] = {}
        self.credits_spent = Counter(
            "relaybot_credits_spent", "Credits charged to users ([credits.cost]), by capability",
            ["capability"], registry=r,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def observe_relay(self, path: str, seconds: float, error: BaseException | None) -> None:
        endpoint = endpoint_of(path)
        latency = self._latency_of.get(endpoint)
        if latency is None:
            latency = self._latency_of[endpoint] = self.relay_latency.labels(endpoint)
        latency.observe(seconds)
        if error is not None:
            self.relay_errors.labels(error_kind(error)).inc()


@functools.lru_cache(maxsize=256)
def endpoint_of(path: str) -> str:
    """``/mj/task/1712345/fetch`` → ``/mj/task/{id}/fetch``: one series per route, not per
    task."""
    parts = path.split("?", 1)[0].split("/")
    return "/".join("{id}" if _TASK_ID.match(part) else part for part in parts)


def error_kind(error: BaseException) -> str:
    """``RateLimitedError`` → ``rate_limited``; ``RelayTimeoutError`` → ``timeout``."""
    name = type(error).__name__.removesuffix("Error").removeprefix("Relay") or "error"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class MetricsServer:
    """``GET /metrics`` (Prometheus text format) and ``GET /healthz`` on one address."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self._metrics = metrics
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port = port  # the bound port (useful with port 0)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._serve_metrics)
        app.router.add_get("/healthz", self._serve_health)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("metrics on http://%s:%d/metrics", self._host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _serve_metrics(self, _request: web.Request) -> web.Response:
        response = web.Response(body=self._metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def _serve_health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})
