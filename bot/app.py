"""The composition root: config in, a running bot out.

``App`` opens the core (store, one HTTP session, relay client, dispatcher), starts an
adapter per configured platform of the table :data:`PLATFORMS` in this one event loop,
then the job tracker, which sends through the adapters, and closes everything in
reverse order. Platform libraries are imported only for the platforms configured, so a
Telegram-only bot never loads discord.py. ``run_forever`` adds signal handling for
``relaybot run``.

Roles (``relaybot run --only telegram,discord,jobs``, see :func:`assign_roles`) split the
work between processes sharing one PostgreSQL store: a platform named receives its
events here, the others at most send; ``jobs`` runs the job tracker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import signal
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Final
from urllib.parse import urlsplit

from adapters.base import Adapter, BuildAdapter, Host, SyncsCommands
from bot.config import AppConfig
from bot.core.context import Clock, Sleep
from bot.core.credits import Credits, HoldSweep
from bot.core.errors import StartupError
from bot.jobs.notify import NotifyListener
from bot.jobs.tracker import JobTracker
from bot.metrics import MetricsServer
from bot.runtime import Core, open_core

log = logging.getLogger(__name__)


class NoPlatformError(StartupError):
    """``relaybot run`` needs at least one platform with a token."""


@dataclass(frozen=True, slots=True)
class Platform:
    """One row of the platform table: a config section and the adapter package serving it.

    ``entry`` imports the package only when called, so a Telegram-only bot never loads
    discord.py."""

    name: str
    configured: Callable[[AppConfig], bool]
    entry: Callable[[], BuildAdapter]


def _telegram() -> BuildAdapter:
    from adapters.telegram import build

    return build


def _discord() -> BuildAdapter:
    from adapters.discord import build

    return build


PLATFORMS: Final[tuple[Platform, ...]] = (
    Platform("telegram", lambda config: config.telegram is not None, _telegram),
    Platform("discord", lambda config: config.discord is not None, _discord),
)


ROLES: Final = ("telegram", "discord", "jobs")


class RoleError(StartupError):
    """``--only`` names a role this configuration cannot take."""


def assign_roles(config: AppConfig, only: Collection[str] | None) -> tuple[AppConfig, bool]:
    """The configuration for a process taking only the roles ``only`` (None: every role),
    and whether it runs the job tracker.

    A platform named receives its events here (Telegram polling or webhook, the Discord
    gateway with this process's shards). With ``jobs``, the tracker runs and every other
    configured platform is started for sending only (Telegram: the Bot API without
    getUpdates; Discord: REST without the gateway); without it, they are not started."""
    if only is None:
        return config, True
    unknown = sorted(set(only) - set(ROLES))
    if unknown:
        raise RoleError(f"unknown role {', '.join(unknown)}: choose from {', '.join(ROLES)}")
    sections = {"telegram": config.telegram, "discord": config.discord}
    for name, section in sections.items():
        if name in only and section is None:
            raise RoleError(f"--only {name}: the configuration has no [{name}] section")
        if name in only and section is not None and not section.receive:
            raise RoleError(f"--only {name}: [{name}] receive = false in the configuration")
    jobs = "jobs" in only
    telegram, discord = config.telegram, config.discord
    if telegram is not None and "telegram" not in only:
        telegram = dataclasses.replace(telegram, receive=False) if jobs else None
    if discord is not None and "discord" not in only:
        discord = (
            dataclasses.replace(discord, receive=False, shard_ids=None, shard_count=None)
            if jobs else None
        )
    return dataclasses.replace(config, telegram=telegram, discord=discord), jobs


def assign_shards(config: AppConfig, shard_ids: Collection[int] | None) -> AppConfig:
    """``--shard-ids``: the Discord shards this process runs instead of ``[discord]
    shard_ids`` (None: as configured), checked the same way."""
    if shard_ids is None:
        return config
    discord = config.discord
    if discord is None or discord.shard_count is None:
        raise RoleError("--shard-ids needs [discord] shard_count, the number of shards of "
                        "the whole bot")
    ids = tuple(sorted(shard_ids))
    if not ids or ids[0] < 0 or ids[-1] >= discord.shard_count or len(set(ids)) != len(ids):
        raise RoleError(f"--shard-ids: name each shard once, from 0 to "
                        f"{discord.shard_count - 1} (shard_count - 1)")
    return dataclasses.replace(config, discord=dataclasses.replace(discord, shard_ids=ids))


class App:
    def __init__(
        self,
        config: AppConfig,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall_clock: Clock | None = None,
        store_clock: Clock | None = None,
        platforms: Sequence[str] | None = None,
        start_tracker: bool = True,
        only: Collection[str] | None = None,
    ) -> None:
        """``platforms`` limits which configured platforms start (tests); default all.
        ``start_tracker=False`` builds the job tracker without its loop, for tests that
        drive it with ``app.tracker.run_once()`` on virtual time. ``only``: the roles of
        this process (:func:`assign_roles`). ``wall_clock`` and ``store_clock`` (tests,
        benchmarks: virtual time) are the tracker's and the store's clocks, which must
        agree (the tracker compares the creation times, deadlines and leases the store writes
        with its own "now"), so giving one gives both; by default the store keeps its own
        (the database server's for PostgreSQL) and the tracker uses ``time.time``."""
        self.config, self._track_jobs = assign_roles(config, only)
        self._clock = clock
        self._store_clock = store_clock if store_clock is not None else wall_clock
        self._wall_clock = wall_clock or store_clock or time.time
        self._start_tracker = start_tracker
        self._sleep = sleep
        self._platforms = (
            tuple(platforms) if platforms is not None else tuple(p.name for p in PLATFORMS)
        )
        self._stack: AsyncExitStack | None = None
        self._core: Core | None = None
        self.adapters: dict[str, Adapter] = {}
        self.tracker: JobTracker | None = None
        self.metrics_server: MetricsServer | None = None

    @property
    def core(self) -> Core:
        if self._core is None:
            raise RuntimeError("App is not started")
        return self._core

    async def start(self) -> None:
        if self._stack is not None:
            raise RuntimeError("App is already started")
        if not self._enabled_platforms():
            raise NoPlatformError(
                "no platform configured: add a "
                + " or ".join(f"[{platform.name}]" for platform in PLATFORMS)
                + " section with a token"
            )
        stack = AsyncExitStack()
        try:
            self._core = await stack.enter_async_context(
                open_core(self.config, clock=self._clock, sleep=self._sleep,
                          store_clock=self._store_clock,
                          wall_clock=self._wall_clock)
            )
            for adapter in self._build_adapters(self._core):
                await adapter.start()
                stack.push_async_callback(adapter.stop)
                self.adapters[adapter.name] = adapter
                log.info("platform started: %s", adapter.name)
            if self._track_jobs:
                await self._start_jobs(stack, self._core)
            log.info("this process: %s", self.describe_roles())
            if self.config.metrics.listen is not None:
                host, port = self.config.metrics.listen
                server = MetricsServer(self._core.services.metrics, host, port)
                try:
                    await server.start()
                except OSError as exc:
                    raise StartupError(
                        f"cannot serve metrics on {host}:{port} ({exc.strerror or exc}): "
                        "change [metrics] listen or stop what uses that port"
                    ) from None
                stack.push_async_callback(server.stop)
                self.metrics_server = server
        except BaseException:
            await stack.aclose()
            self._core = None
            self.adapters.clear()
            raise
        self._stack = stack

    def describe_roles(self) -> str:
        """What this process does, for the log: ``receives telegram; tracks jobs``."""
        sections = {"telegram": self.config.telegram, "discord": self.config.discord}
        receiving = [n for n in self.adapters if (c := sections.get(n)) and c.receive]
        sending = [n for n in self.adapters if n not in receiving]
        parts = [f"receives {', '.join(receiving)}"] if receiving else []
        if sending:
            parts.append(f"only sends to {', '.join(sending)}")
        parts.append("tracks jobs" if self.tracker is not None else "tracks no jobs")
        return "; ".join(parts)

    async def _start_jobs(self, stack: AsyncExitStack, core: Core) -> None:
        # After the adapters (it sends through them), and stopped before them. Its
        # clock is the wall clock: deadlines and leases are compared across restarts.
        credits = Credits(self.config.credits, core.services.store, self._wall_clock,
                          core.services.metrics, holder=core.services.instance)
        self.tracker = JobTracker(
            core.services, self.adapters, clock=self._wall_clock, sleep=self._sleep,
            outcome_hooks=(credits,),
            # The poller also refunds the holds of processes that died and never restart.
            poller_chores=(HoldSweep(credits, self._wall_clock),),
        )
        await self.tracker.take_over()
        if self._start_tracker:
            await self.tracker.start()
        stack.push_async_callback(self.tracker.stop)
        relay = self.config.relay
        if relay.notify_url is not None and relay.notify_listen is not None:
            host, port = relay.notify_listen
            path = urlsplit(relay.notify_url).path
            listener = NotifyListener(host, port, path, self.tracker.wake)
            await listener.start()
            stack.push_async_callback(listener.stop)

    async def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()
        self._core = None
        self.tracker = None
        self.metrics_server = None
        self.adapters.clear()

    async def __aenter__(self) -> App:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _enabled_platforms(self) -> list[Platform]:
        return [
            platform
            for platform in PLATFORMS
            if platform.name in self._platforms and platform.configured(self.config)
        ]

    def _build_adapters(self, core: Core) -> list[Adapter]:
        host = Host(clock=self._clock, sleep=self._sleep)
        return [
            platform.entry()(self.config, core.dispatcher, host)
            for platform in self._enabled_platforms()
        ]


# A collection of young objects runs once this many more were allocated than freed.
# Python's default (700) ran one every few dozen loop callbacks of a busy bot: at 1,000
# tracked jobs the collector took ~7 % of the process's CPU, mostly walking objects that
# were about to be freed anyway. At 10,000 a pass walks at most that many (well under a
# millisecond); reference cycles wait a little longer to be freed.
YOUNG_COLLECTION_THRESHOLD: Final = 10_000


def freeze_startup_objects() -> None:
    """Take what the start created out of the garbage collector's way.

    Modules, the clients and the configuration live as long as the process; left in the
    collector's oldest generation, each full collection walks all of them (about 100,000
    objects: a 40–80 ms pause of the event loop, which every message in flight waits
    out). Collected once first, so no garbage is kept; later objects are collected as
    usual, young ones less often (:data:`YOUNG_COLLECTION_THRESHOLD`)."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)


async def run_forever(
    config: AppConfig,
    *,
    sync_commands: bool = False,
    only: Collection[str] | None = None,
    shard_ids: Collection[int] | None = None,
) -> None:
    """Run until SIGINT or SIGTERM, then shut down cleanly (``only``: the roles of this
    process, see :func:`assign_roles`; ``shard_ids``: see :func:`assign_shards`).

    ``sync_commands`` registers the commands once after start with the platforms that
    need it (Discord's slash commands); it is never done on an ordinary start (Discord
    rate-limits command registration)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with App(assign_shards(config, shard_ids), only=only) as app:
            freeze_startup_objects()
            for adapter in app.adapters.values():
                if sync_commands and isinstance(adapter, SyncsCommands):
                    count = await adapter.sync_commands()
                    log.info("registered %d %s commands", count, adapter.name)
            log.info("relaybot running; Ctrl-C to stop")
            await stop.wait()
            log.info("shutting down")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
