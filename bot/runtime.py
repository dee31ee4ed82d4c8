"""Building the core from a configuration: store, HTTP session, relay client, dispatcher.

``bot/app.py`` (the composition root) and the console use :func:`open_core`; it owns
what it opens and closes it in reverse order::

    async with open_core(config) as core:
        await core.dispatcher.handle(invocation, responder)
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.check.store import sqlite_problem
from bot.commands import build_dispatcher
from bot.config import AppConfig
from bot.core.context import Clock, Services, Sleep
from bot.core.credits import Credits
from bot.core.dispatcher import Dispatcher
from bot.core.errors import StartupError
from bot.egress import EgressPolicy, url_port
from bot.metrics import Metrics
from bot.proxy import client_session, effective_proxy
from bot.relay import RelayClient
from bot.store import open_store
from bot.store.base import StoreError

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class Core:
    services: Services
    dispatcher: Dispatcher


def instance_name(config: AppConfig) -> str:
    """This process's identity in the store: ``[bot] instance_name``, else host name and
    storage (the SQLite path, or the database URL without password). Stable across
    restarts, so a restarted process recognises the delivery leases and submits of the one
    it replaces and takes them over at once."""
    if config.bot.instance_name:
        return config.bot.instance_name
    storage = config.storage
    where = storage.path.resolve() if storage.url is None else storage.describe()
    return f"{socket.gethostname()}:{where}"


def process_identity(config: AppConfig, role: str = "") -> str:
    """This process's worker id: ``<instance_name>[:role]:<pid>:<random>``. Unique, so
    processes sharing a store never mistake each other's leases; the part before the pid
    lets a restarted process recognise the work of a predecessor that is gone
    (:meth:`bot.jobs.tracker.JobTracker.take_over`)."""
    base = f"{instance_name(config)}:{role}" if role else instance_name(config)
    return f"{base}:{os.getpid()}:{secrets.token_hex(3)}"


@asynccontextmanager
async def open_core(
    config: AppConfig,
    *,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    store_clock: Clock | None = None,
    wall_clock: Clock = time.time,
    role: str = "",
) -> AsyncIterator[Core]:
    """``store_clock`` replaces the store's "now" (virtual time: a benchmark's, or a test's
    through ``App(wall_clock=..., store_clock=...)``); by default the store keeps its own
    (see :func:`bot.store.open_store`). ``role`` sets apart
    a process that runs beside ``relaybot run`` on the same database (the console): it must
    never be taken for the bot's own predecessor."""
    try:
        store = await open_store(config.storage, clock=store_clock)
    except StoreError as exc:  # unreachable database, schema from a newer relaybot
        raise StartupError(str(exc)) from None
    except (sqlite3.Error, OSError) as exc:  # a missing directory, a read-only or garbage file
        if config.storage.url is not None:
            raise
        raise StartupError(await _store_problem(config, exc)) from None
    log.debug("storage: %s", config.storage.describe())
    metrics = Metrics()
    proxy = effective_proxy(
        config.proxy_for("relay"),
        trust_env=config.network.trust_env,
        target_url=config.relay.base_url,
    )
    # Media links come from model answers: only public hosts, the relay's own address
    # (its host on its port), the operator's media_hosts and the proxy, which may well
    # be on this machine.
    egress = EgressPolicy(
        trusted_hosts=[_address(config.relay.base_url), *config.relay.media_hosts,
                       _address(proxy) if proxy else ""],
        resolve_before_request=proxy is not None,
    )
    try:
        # Reservations the last run left without a job (it died between reserving and
        # tracking) are refunded before anyone can spend again; those of other live
        # processes sharing the database stay theirs.
        instance = process_identity(config, role)
        await Credits(config.credits, store, wall_clock, metrics,
                      holder=instance).recover(wall_clock())
        # The relay authenticates by header and media links come from anywhere: a cookie
        # jar would only collect what CDNs set and filter it on every request.
        session = client_session(proxy, cookies=False, resolver=egress.resolver())
        async with session as http:
            relay = RelayClient(
                http,
                base_url=config.relay.base_url,
                api_key=config.relay.api_key.reveal(),
                timeout_s=config.relay.timeout_s,
                mj_mode=config.relay.mj_mode,
                notify_hook=config.relay.notify_url,
                metrics=metrics,
                max_response_bytes=int(config.relay.max_response_mb * 1024 * 1024),
                concurrency=config.limits.relay_concurrency,
            )
            services = Services(
                config=config,
                store=store,
                relay=relay,
                http=http,
                clock=clock,
                sleep=sleep,
                egress=egress,
                metrics=metrics,
                # Submit deadlines are compared with stored times: the store's clock if injected.
                wall_clock=store_clock if store_clock is not None else wall_clock,
                instance=instance,
            )
            yield Core(services, build_dispatcher(services))
    finally:
        await store.close()


def _address(url: str) -> str:
    """``host:port`` of ``url`` (the scheme's default port when none is written), or
    ``host`` alone when the port is unknown (e.g. a socks5 URL without one)."""
    host = urlsplit(url).hostname or ""
    shown = f"[{host}]" if ":" in host else host
    port = url_port(url)
    return f"{shown}:{port}" if port else shown


async def _store_problem(config: AppConfig, exc: BaseException) -> str:
    """One line for an SQLite file that would not open: what ``relaybot check`` finds wrong
    with it, else the error itself."""
    problem = await sqlite_problem(config)
    return problem or f"storage.path {config.storage.path}: cannot open the database ({exc})"
