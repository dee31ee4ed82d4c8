"""Which proxy each outgoing connection uses, and aiohttp sessions that use it.

The configuration names at most one proxy per service (``[relay|telegram|discord] proxy``,
else ``[network] proxy``). With ``trust_env = true`` and no configured proxy, the usual
environment variables decide, per target host: ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``
and ``NO_PROXY``. The decision is made here once for all three clients, so Telegram
(httpx), Discord (discord.py on aiohttp) and the relay (aiohttp) agree on it.

aiohttp speaks only HTTP proxies; SOCKS URLs go through ``aiohttp-socks``'s connector,
which carries REST and websocket connections alike.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from bot.config import Secret

SOCKS_SCHEMES: Final = ("socks4", "socks5", "socks5h")


def effective_proxy(
    configured: Secret | None,
    *,
    trust_env: bool,
    target_url: str,
    env: Mapping[str, str] | None = None,
) -> str | None:
    """The proxy URL to reach ``target_url`` through, or None for a direct connection."""
    if configured is not None:
        return configured.reveal()
    if not trust_env:
        return None
    return proxy_from_env(target_url, os.environ if env is None else env)


def proxy_from_env(target_url: str, env: Mapping[str, str]) -> str | None:
    """What ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and ``NO_PROXY`` say for this URL."""
    lowered = {key.lower(): value for key, value in env.items() if value}
    parts = urlsplit(target_url)
    host = parts.hostname or ""
    no_proxy = lowered.get("no_proxy", "")
    if no_proxy and _bypassed(host, parts.port, no_proxy):
        return None
    scheme = {"wss": "https", "ws": "http"}.get(parts.scheme, parts.scheme)
    return lowered.get(f"{scheme}_proxy") or lowered.get("all_proxy")


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """Curl's NO_PROXY rules: ``*``, exact hosts, domain suffixes (``.example.com`` or
    ``example.com``), each optionally with ``:port``."""
    host = host.lower()
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if entry == "*":
            return True
        name, sep, entry_port = entry.rpartition(":")
        # "host:port" or "[v6]:port"; a bare IPv6 address has more than one colon.
        if sep and entry_port.isdigit() and (name.endswith("]") or ":" not in name):
            if port is None or int(entry_port) != port:
                continue
            entry = name
        entry = entry.strip("[]").lstrip(".")
        if entry and (host == entry or host.endswith("." + entry)):
            return True
    return False


def is_socks(proxy: str | None) -> bool:
    return proxy is not None and urlsplit(proxy).scheme in SOCKS_SCHEMES


def socks_connector(proxy: str, **connector_kwargs: Any) -> aiohttp.TCPConnector:
    """An aiohttp connector tunnelling every connection through a SOCKS proxy."""
    from aiohttp_socks import ProxyConnector

    # socks5h: the proxy resolves names (the usual choice when DNS is filtered too).
    rdns = urlsplit(proxy).scheme == "socks5h"
    url = proxy.replace("socks5h://", "socks5://", 1) if rdns else proxy
    connector_kwargs.pop("resolver", None)  # the SOCKS connector resolves on its own
    return ProxyConnector.from_url(url, rdns=rdns, **connector_kwargs)


def client_session(
    proxy: str | None, *, cookies: bool = True, **connector_kwargs: Any
) -> aiohttp.ClientSession:
    """A session whose every request goes through ``proxy`` (HTTP or SOCKS), else direct.

    aiohttp's own ``trust_env`` stays off: the environment was already weighed by
    :func:`effective_proxy`, with the same NO_PROXY rules for every client.
    ``cookies=False``: nothing set by a server is kept or sent back (an API that
    authenticates by header, and media links from anywhere, need none)."""
    jar = None if cookies else aiohttp.DummyCookieJar()
    if is_socks(proxy):
        assert proxy is not None
        return aiohttp.ClientSession(
            connector=socks_connector(proxy, **connector_kwargs), cookie_jar=jar
        )
    connector = aiohttp.TCPConnector(**connector_kwargs)
    return aiohttp.ClientSession(connector=connector, proxy=proxy, cookie_jar=jar)
