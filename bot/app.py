"""The composition root: config in, a running bot out.

``App`` opens the core (store, one HTTP session, relay client, dispatcher), starts an
adapter per configured platform in this one event loop, then the job tracker, which
sends through the adapters, and closes everything in reverse order. Platform
libraries are imported only for the platforms configured, so a Telegram-only bot
never loads discord.py. ``run_forever`` adds signal handling for ``relaybot run``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Final, Literal
from urllib.parse import urlsplit

from adapters.base import Adapter
from bot.config import AppConfig, TelegramConfig
from bot.core.context import Clock, Sleep
from bot.core.errors import StartupError
from bot.jobs.notify import NotifyListener
from bot.jobs.tracker import JobTracker
from bot.metrics import MetricsServer
from bot.proxy import effective_proxy
from bot.runtime import Core, open_core

log = logging.getLogger(__name__)

DISCORD_API: Final = "https://discord.com/api/v10"


class NoPlatformError(StartupError):
    """``relaybot run`` needs at least one platform with a token."""


class App:
    def __init__(
        self,
        config: AppConfig,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall_clock: Clock = time.time,
        platforms: Sequence[str] | None = None,
        start_tracker: bool = True,
    ) -> None:
        """``platforms`` limits which configured platforms start (tests); default all.
        ``start_tracker=False`` builds the job tracker without its loop, for tests that
        drive it with ``app.tracker.run_once()`` on virtual time."""
        self.config = config
        self._clock = clock
        self._wall_clock = wall_clock
        self._start_tracker = start_tracker
        self._sleep = sleep
        self._platforms = tuple(platforms) if platforms is not None else ("telegram", "discord")
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
                "no platform configured: add a [telegram] or [discord] section with a token"
            )
        stack = AsyncExitStack()
        try:
            self._core = await stack.enter_async_context(
                open_core(self.config, clock=self._clock, sleep=self._sleep)
            )
            for adapter in self._build_adapters(self._core):
                await adapter.start()
                stack.push_async_callback(adapter.stop)
                self.adapters[adapter.name] = adapter
                log.info("platform started: %s", adapter.name)
            # After the adapters (it sends through them), and stopped before them. Its
            # clock is the wall clock: deadlines and leases are compared across restarts.
            self.tracker = JobTracker(
                self._core.services, self.adapters, clock=self._wall_clock, sleep=self._sleep
            )
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

    def _enabled_platforms(self) -> list[str]:
        configured = {"telegram": self.config.telegram, "discord": self.config.discord}
        return [name for name in self._platforms if configured.get(name) is not None]

    def _build_adapters(self, core: Core) -> list[Adapter]:
        adapters: list[Adapter] = []
        commands = core.dispatcher.commands
        enabled = self._enabled_platforms()
        if self.config.telegram is not None and "telegram" in enabled:
            adapters.append(self._telegram(core, self.config.telegram))
        if self.config.discord is not None and "discord" in enabled:
            from adapters.discord import DiscordAdapter

            adapters.append(
                DiscordAdapter(
                    self.config.discord,
                    core.dispatcher,
                    commands,
                    locale=self.config.bot.locale,
                    sleep=self._sleep,
                    clock=self._clock,
                    proxy=platform_proxy(self.config, "discord"),
                )
            )
        return adapters


    def _telegram(self, core: Core, telegram: TelegramConfig) -> Adapter:
        from adapters.telegram import TelegramAdapter, TelegramSettings, WebhookSettings

        webhook = None
        if telegram.webhook_url is not None:
            secret = telegram.webhook_secret
            webhook = WebhookSettings(
                url=telegram.webhook_url,
                listen_host=telegram.webhook_listen_host,
                listen_port=telegram.webhook_listen_port,
                path=telegram.webhook_path,
                secret_token=secret.reveal() if secret is not None else None,
            )
        return TelegramAdapter(
            telegram,
            core.dispatcher,
            core.dispatcher.commands,
            locale=self.config.bot.locale,
            edit_interval_s=self.config.bot.edit_interval_s,
            settings=TelegramSettings(
                poll_timeout_s=telegram.poll_timeout_s,
                webhook=webhook,
                proxy=platform_proxy(self.config, "telegram"),
            ),
            sleep=self._sleep,
            clock=self._clock,
        )


def platform_proxy(config: AppConfig, platform: Literal["telegram", "discord"]) -> str | None:
    """The proxy URL a platform client connects through (None: direct)."""
    if platform == "telegram":
        target = config.telegram.base_url if config.telegram else "https://api.telegram.org"
    else:
        target = (config.discord.api_base_url if config.discord else None) or DISCORD_API
    return effective_proxy(
        config.proxy_for(platform), trust_env=config.network.trust_env, target_url=target
    )


async def run_forever(config: AppConfig, *, sync_commands: bool = False) -> None:
    """Run until SIGINT or SIGTERM, then shut down cleanly.

    ``sync_commands`` registers the Discord slash commands once after start; it is
    never done on an ordinary start (Discord rate-limits command registration)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with App(config) as app:
            discord = app.adapters.get("discord")
            if sync_commands and discord is not None:
                from adapters.discord import DiscordAdapter

                if isinstance(discord, DiscordAdapter):
                    count = await discord.sync_commands()
                    log.info("registered %d Discord slash commands", count)
            log.info("relaybot running; Ctrl-C to stop")
            await stop.wait()
            log.info("shutting down")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
