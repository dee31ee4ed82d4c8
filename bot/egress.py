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

Every download asks this module first, so the verdict on a literal address (a pure
function of the host, the port and the trusted list) is remembered per policy. Nothing
learnt from DNS is ever remembered here: a name is resolved and checked on every
connection, so a name that starts resolving to a private address is refused at once.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Callable, Collection
from typing import Final
from urllib.parse import urlsplit

import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

# Distinct literal hosts a process meets are few (the relay, a CDN or two); the bound
# only keeps a flood of crafted links from growing the memo without end.
_MEMO_SIZE: Final = 1024


class EgressRefusedError(OSError):
    """A fetch aimed at a private, loopback or otherwise non-public address."""


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _is_public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return False


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _literal_ip(host: str) -> str | None:
    """The address when ``host`` is an IP literal, else None (a name, resolved later).
    Remembered: a name's failed parse raises and catches a ValueError, the costly part."""
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
        self,
        trusted_hosts: Collection[str] = (),
        *,
        resolve_before_request: bool = False,
        dns: Callable[[], AbstractResolver] = DefaultResolver,
    ) -> None:
        """``resolve_before_request``: the session goes through a proxy, so its connector
        never resolves the target's name (the proxy does); :meth:`vet` resolves it first.
        ``dns`` makes the resolver that names go to (aiohttp's default)."""
        self._trusted = frozenset(parse_host_port(h) for h in trusted_hosts if h)
        self._resolve_first = resolve_before_request
        self._dns = dns
        # Pure in (host, port) for a given trusted list, which never changes.
        self._literal_refusal = functools.lru_cache(maxsize=_MEMO_SIZE)(self._refuse_literal)

    def trusts(self, host: str, port: int | None = None) -> bool:
        name = host.lower().strip("[]")
        return (name, None) in self._trusted or (
            port is not None and (name, port) in self._trusted
        )

    def _refuse_literal(self, host: str, port: int | None) -> str | None:
        """Why ``host`` (an IP literal) may not be fetched from; None when it may, or
        when it is a name (the resolver checks names)."""
        literal = _literal_ip(host)
        if literal is None or self.trusts(host, port) or _is_public(literal):
            return None
        return f"refusing to fetch from the non-public address {host}"

    def check_url(self, url: str | yarl.URL) -> None:
        """Refuse a URL whose host is a non-public IP literal (names go to the resolver).

        A string is read as aiohttp reads it (``yarl.URL``); give the ``URL`` object that
        will be requested to check exactly the host the connection goes to."""
        self._check(url if isinstance(url, yarl.URL) else yarl.URL(url))

    def _check(self, url: yarl.URL) -> tuple[str, int | None]:
        host, port = url.raw_host or "", url.port
        refusal = self._literal_refusal(host, port)
        if refusal is not None:
            raise EgressRefusedError(refusal)
        return host, port

    async def vet(self, url: str | yarl.URL) -> None:
        """:meth:`check_url`, and behind a proxy also the name's addresses (the guarded
        resolver only sees names the connector resolves itself)."""
        host, port = self._check(url if isinstance(url, yarl.URL) else yarl.URL(url))
        if self._resolve_first and host and _literal_ip(host) is None:
            resolver = self.resolver()
            try:
                await resolver.resolve(host, port or 0, socket.AF_UNSPEC)
            except EgressRefusedError:
                raise
            except OSError:
                # Not resolvable here (socks5h is chosen where local DNS is filtered): the
                # proxy resolves it; a name that resolves here to a private address is refused.
                pass
            finally:
                await resolver.close()

    def resolver(self) -> GuardedResolver:
        return GuardedResolver(self, self._dns())


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
