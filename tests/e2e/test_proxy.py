"""Behind a proxy: Telegram, Discord (REST and gateway) and the relay all go through it.

The whole App runs as in ``test_both_platforms``, configured with ``[network] proxy``
(or per-section overrides, or the environment with ``trust_env``); the loopback
:class:`~tests.fakes.proxy.FakeProxy` records every connection it carried.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import AsyncIterator

import pytest

from bot.config import AppConfig, NetworkConfig, Secret
from bot.log import setup_logging
from bot.sim import SimRelay
from tests.e2e.harness import Operator
from tests.fakes.clock import JumpingClock, start_app
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.proxy import FakeProxy
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
async def proxy() -> AsyncIterator[FakeProxy]:
    async with FakeProxy(credentials=("relaybot", "pr0xy-pa55word")) as server:
        yield server


def _port(url: str) -> str:
    return "127.0.0.1:" + url.rsplit(":", 1)[1].split("/", 1)[0]


async def _chat_on_both(
    config: AppConfig, tg: FakeTelegram, dc: FakeDiscord, clock: JumpingClock
) -> Operator:
    app = await start_app(config, clock)
    alice = tg.user(1001, "Alice", username="alice")
    bot = Operator(app, tg, dc, clock, alice, tg.private_chat(alice))
    await bot.tg_say("/chat hello from behind a proxy")
    assert "reply #1 to: hello from behind a proxy" in bot.tg.messages_in(bot.dm)[-1].text
    assert "reply #1 to: and from Discord" in await bot.dc_chat("and from Discord")
    return bot


@pytest.mark.parametrize("kind", ["http", "socks5"])
async def test_every_service_goes_through_the_network_proxy(
    kind: str, config: AppConfig, proxy: FakeProxy, tg: FakeTelegram, dc: FakeDiscord,
    sim: SimRelay, clock: JumpingClock,
) -> None:
    url = proxy.http_url if kind == "http" else proxy.socks_url
    config = dataclasses.replace(config, network=NetworkConfig(proxy=Secret(url)))
    bot = await _chat_on_both(config, tg, dc, clock)
    try:
        carried = proxy.targets()
        assert _port(tg.base_url) in carried, "Telegram's Bot API calls"
        assert _port(dc.api_base) in carried, "Discord's REST calls and gateway"
        assert _port(sim.base_url) in carried, "the relay's chat request"
        if kind == "http":
            gateway = [p for p in proxy.passages if p.first_line.startswith("GET ws://")]
            assert gateway, "the Discord websocket was opened through the proxy"
        assert proxy.refused == 0, "the credentials in the URL were sent"
    finally:
        await bot.app.stop()


async def test_a_section_proxy_overrides_the_network_proxy(
    config: AppConfig, proxy: FakeProxy, tg: FakeTelegram, dc: FakeDiscord, sim: SimRelay,
    clock: JumpingClock,
) -> None:
    assert config.telegram is not None
    config = dataclasses.replace(
        config,
        network=NetworkConfig(proxy=Secret("http://127.0.0.1:9")),  # nothing listens there
        telegram=dataclasses.replace(config.telegram, proxy=Secret(proxy.http_url)),
        discord=dataclasses.replace(config.discord, proxy=Secret(proxy.socks_url)),
        relay=dataclasses.replace(config.relay, proxy=Secret(proxy.http_url)),
    )
    bot = await _chat_on_both(config, tg, dc, clock)
    try:
        assert _port(tg.base_url) in proxy.targets("forward")
        assert _port(dc.api_base) in proxy.targets("socks5")
        assert _port(sim.base_url) in proxy.targets("forward")
    finally:
        await bot.app.stop()


async def test_trust_env_takes_the_proxy_from_the_environment_and_honours_no_proxy(
    config: AppConfig, proxy: FakeProxy, tg: FakeTelegram, dc: FakeDiscord, sim: SimRelay,
    clock: JumpingClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.http_url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.http_url)
    # The relay is "inside": reached directly; the platforms go through the proxy.
    monkeypatch.setenv("NO_PROXY", f"example.org,{_port(sim.base_url)}")
    config = dataclasses.replace(config, network=NetworkConfig(trust_env=True))
    bot = await _chat_on_both(config, tg, dc, clock)
    try:
        assert _port(tg.base_url) in proxy.targets()
        assert _port(dc.api_base) in proxy.targets()
        assert _port(sim.base_url) not in proxy.targets()
    finally:
        await bot.app.stop()


async def test_without_trust_env_the_environment_proxy_is_ignored(
    config: AppConfig, proxy: FakeProxy, tg: FakeTelegram, dc: FakeDiscord,
    clock: JumpingClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.http_url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.http_url)
    bot = await _chat_on_both(config, tg, dc, clock)
    try:
        assert proxy.passages == []
    finally:
        await bot.app.stop()


async def test_proxy_credentials_never_reach_the_log(
    config: AppConfig, proxy: FakeProxy, tg: FakeTelegram, dc: FakeDiscord,
    clock: JumpingClock,
) -> None:
    stream = io.StringIO()
    config = dataclasses.replace(config, network=NetworkConfig(proxy=Secret(proxy.http_url)))
    handler = setup_logging("DEBUG", secrets=config.secrets(), stream=stream)
    try:
        bot = await _chat_on_both(config, tg, dc, clock)
        logging.getLogger("test").warning("proxy in use: %s", proxy.http_url)
        await bot.app.stop()
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    text = stream.getvalue()
    assert "proxy in use: ***" in text
    assert "pr0xy-pa55word" not in text

