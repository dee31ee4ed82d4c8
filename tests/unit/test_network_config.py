"""``[network]``, per-section proxies, ``[metrics]`` and ``[logging] format``: parsing,
precedence and the environment rules every client shares."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest
from aiohttp import web

from bot.config import AppConfig, ConfigError, parse_config
from bot.proxy import client_session, effective_proxy, proxy_from_env
from bot.runtime import open_core

RELAY = {"base_url": "http://relay.example", "api_key": "sk-direct-key-123"}


def test_section_proxy_wins_over_the_network_proxy_and_reads_env_indirection() -> None:
    config = parse_config(
        {
            "relay": {**RELAY, "proxy": "socks5://10.0.0.1:1080"},
            "telegram": {"token": "1:abc", "proxy_env": "TG_PROXY"},
            "discord": {"token": "d"},
            "network": {"proxy": "http://u:s3cret-pw@proxy.lan:3128", "trust_env": True},
            "metrics": {"listen": "127.0.0.1:9108"},
            "logging": {"format": "json"},
        },
        {"TG_PROXY": "http://tg-proxy.lan:8080"},
    )
    assert str(config.proxy_for("relay")) == "Secret('***')"
    assert config.proxy_for("relay").reveal() == "socks5://10.0.0.1:1080"  # type: ignore[union-attr]
    assert config.proxy_for("telegram").reveal() == "http://tg-proxy.lan:8080"  # type: ignore[union-attr]
    assert config.proxy_for("discord").reveal() == "http://u:s3cret-pw@proxy.lan:3128"  # type: ignore[union-attr]
    assert config.network.trust_env is True
    assert config.metrics.listen == ("127.0.0.1", 9108)
    assert config.logging.format == "json"
    assert "s3cret-pw" in config.secrets(), "the proxy password is redacted on its own too"


def test_a_bad_proxy_is_reported_without_echoing_its_credentials() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {"relay": RELAY, "network": {"proxy": "ftp://user:hunter22@host"},
             "metrics": {"listen": "nowhere"}, "logging": {"format": "xml"}},
            {},
        )
    problems = "\n".join(caught.value.problems)
    assert "network.proxy: must be a URL starting with http://" in problems
    assert "socks5://" in problems
    assert "hunter22" not in problems
    assert "metrics.listen: must be \"host:port\"" in problems
    assert "logging.format: must be one of 'text', 'json'" in problems


def test_without_proxy_settings_every_client_connects_directly() -> None:
    config = parse_config({"relay": RELAY}, {})
    assert config.proxy_for("relay") is None
    assert config.metrics.listen is None
    assert effective_proxy(None, trust_env=False, target_url="https://x.example",
                           env={"HTTPS_PROXY": "http://p:1"}) is None


@pytest.mark.parametrize(
    ("url", "no_proxy", "expected"),
    [
        ("https://api.telegram.org/bot", "", "http://https-proxy:1"),
        ("http://relay.lan:8099", "", "http://http-proxy:1"),
        ("wss://gateway.discord.gg", "", "http://https-proxy:1"),
        ("https://api.telegram.org/bot", "telegram.org", None),
        ("https://api.telegram.org/bot", ".telegram.org", None),
        ("https://notelegram.org", "telegram.org", "http://https-proxy:1"),
        ("http://relay.lan:8099", "relay.lan:8099", None),
        ("http://relay.lan:8100", "relay.lan:8099", "http://http-proxy:1"),
        ("http://[::1]:8099", "::1", None),
        ("http://anything", "*", None),
    ],
)
def test_trust_env_follows_https_proxy_and_no_proxy(
    url: str, no_proxy: str, expected: str | None
) -> None:
    env = {"HTTPS_PROXY": "http://https-proxy:1", "http_proxy": "http://http-proxy:1",
           "NO_PROXY": no_proxy}
    assert proxy_from_env(url, env) == expected
    assert effective_proxy(None, trust_env=True, target_url=url, env=env) == expected


async def _cookie_server() -> tuple[web.AppRunner, str]:
    """``/set`` sets a cookie, as a CDN in front of a relay may; ``/echo`` shows the
    Cookie header it was sent. Reached by name (``localhost``): cookies are kept per name."""

    async def set_cookie(request: web.Request) -> web.Response:
        response = web.Response(text="set")
        response.set_cookie("seen", "1")
        return response

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("Cookie", ""))

    app = web.Application()
    app.router.add_get("/set", set_cookie)
    app.router.add_get("/echo", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://localhost:{runner.addresses[0][1]}"


async def _cookie_sent_back(http: aiohttp.ClientSession, base: str) -> str:
    async with http.get(f"{base}/set") as response:
        await response.read()
    async with http.get(f"{base}/echo") as response:
        return await response.text()


async def test_the_relay_session_never_sends_back_cookies(config: AppConfig) -> None:
    runner, base = await _cookie_server()
    try:
        async with client_session(None) as ordinary:  # the platforms' sessions keep them
            assert await _cookie_sent_back(ordinary, base) == "seen=1"
        # Trusted like a relay's own media host, so the egress policy lets it be reached.
        relay = dataclasses.replace(config.relay, media_hosts=("localhost",))
        async with open_core(dataclasses.replace(config, relay=relay)) as core:
            assert await _cookie_sent_back(core.services.http, base) == ""
    finally:
        await runner.cleanup()
