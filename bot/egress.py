"""Where the bot may fetch media from: public addresses, plus the relay's own address.

Image links come from model answers, which a prompt can steer. Without a guard, a
crafted answer could make the bot request addresses inside the operator's network
(cloud metadata services, admin panels) and post what it gets back. Hostnames are
checked after resolution (:class:`GuardedResolver`, so a public name that resolves to
a private address is refused too) and literal IP addresses before each request and
redirect (:meth:`EgressPolicy.check_url`), because aiohttp does not resolve those.

The relay's host is trusted whatever its address, on the relay's port only: it serves
its own media (the ``/mj/image`` proxy, the simulator on loopback), and a relay on a
private network is a normal deployment, but other services on that machine (a database,
an admin panel on another port) are not the relay. ``relay.media_hosts`` adds hosts
(``host`` = any port, ``host:port`` = that port) for relays serving media elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class EgressRefusedError(OSError):
    """A fetch aimed at a private, loopback or otherwise non-public address."""


def _is_public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return False


def _literal_ip(host: str) -> str | None:
    candidate = host.strip("[]")
    try:
        ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return None
    return candidate


_DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_host_port(entry: str) -> tuple[str, int | None]:
    """``"relay.internal:8080"`` → ``("relay.internal", 8080)``; no port → None (any)."""
    parts = urlsplit(f"//{entry.strip()}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port


def url_port(url: str) -> int | None:
    parts = urlsplit(url)
    try:
        return parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None


class EgressPolicy:
    """``trusted_hosts``: ``host`` (any port) or ``host:port`` entries, trusted whatever
    their address."""

    def __init__(
        self, trusted_hosts: Collection[str] = (), *, resolve_before_request: bool = False
    ) -> None:
        """``resolve_before_request``: the session goes through a proxy, so its connector
        never resolves the target's name (the proxy does); :meth:`vet` resolves it first."""
        self._trusted = frozenset(parse_host_port(h) for h in trusted_hosts if h)
        self._resolve_first = resolve_before_request

    def trusts(self, host: str, port: int | None = None) -> bool:
        name = host.lower().strip("[]")
        return (name, None) in self._trusted or (
            port is not None and (name, port) in self._trusted
        )

    def check_url(self, url: str) -> None:
        """Refuse a URL whose host is a non-public IP literal (names go to the resolver)."""
        host = urlsplit(url).hostname or ""
        literal = _literal_ip(host)
        if literal is not None and not self.trusts(host, url_port(url)) and not _is_public(
            literal
        ):
            raise EgressRefusedError(f"refusing to fetch from the non-public address {host}")

    async def vet(self, url: str) -> None:
        """:meth:`check_url`, and behind a proxy also the name's addresses (the guarded
        resolver only sees names the connector resolves itself)."""
        self.check_url(url)
        host = urlsplit(url).hostname or ""
        if self._resolve_first and host and _literal_ip(host) is None:
            resolver = self.resolver()
            try:
                await resolver.resolve(host, url_port(url) or 0, socket.AF_UNSPEC)
            except EgressRefusedError:
                raise
            except OSError:
                # Not resolvable here (socks5h is chosen where local DNS is filtered): the
                # proxy resolves it; a name that resolves here to a private address is refused.
                pass
            finally:
                await resolver.close()

    def resolver(self) -> GuardedResolver:
        return GuardedResolver(self)


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, keeping only public addresses for
    hosts the policy does not trust."""

    def __init__(self, policy: EgressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._policy.trusts(host, port):
            return results
        public = [r for r in results if _is_public(r["host"])]
        if not public:
            raise EgressRefusedError(f"refusing to fetch from {host}: not a public address")
        return public

    async def close(self) -> None:
        await self._inner.close()
