"""Media links may only lead to public addresses, or to the relay's own host."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.core.failures import describe_failure
from bot.core.texts import t
from bot.egress import EgressPolicy, EgressRefusedError, GuardedResolver
from bot.media import MediaDownloadError, download
from bot.sim.media import make_png

PNG = make_png(8, 8, (10, 200, 10))


async def _serve(host: str) -> tuple[web.AppRunner, str]:
    app = web.Application()

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def bounce(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    app.router.add_get("/cat.png", image)
    app.router.add_get("/bounce", bounce)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, 0).start()
    return runner, f"http://{host}:{runner.addresses[0][1]}"


@pytest.fixture
async def relay_host() -> AsyncIterator[str]:
    runner, url = await _serve("127.0.0.1")  # stands for the relay's host
    yield url
    await runner.cleanup()


@pytest.fixture
async def internal_host() -> AsyncIterator[str]:
    runner, url = await _serve("127.0.0.2")  # stands for an address inside the network
    yield url
    await runner.cleanup()


@pytest.fixture
async def guarded() -> AsyncIterator[tuple[aiohttp.ClientSession, EgressPolicy]]:
    policy = EgressPolicy(trusted_hosts=["127.0.0.1"])
    connector = aiohttp.TCPConnector(resolver=policy.resolver())
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session, policy


async def test_the_relays_own_host_is_fetched(
    guarded: tuple[aiohttp.ClientSession, EgressPolicy], relay_host: str
) -> None:
    session, policy = guarded
    media = await download(session, f"{relay_host}/cat.png", max_bytes=10_000, policy=policy)
    assert media.data == PNG
    bounced = f"{relay_host}/bounce?to=/cat.png"
    assert (await download(session, bounced, max_bytes=10_000, policy=policy)).data == PNG


async def test_private_addresses_are_refused_directly_by_name_and_by_redirect(
    guarded: tuple[aiohttp.ClientSession, EgressPolicy], relay_host: str, internal_host: str
) -> None:
    session, policy = guarded
    # Reachable: without the policy the download works, so a refusal is the policy's.
    unguarded = await download(session, f"{internal_host}/cat.png", max_bytes=10_000)
    assert unguarded.data == PNG
    port = relay_host.rsplit(":", 1)[1]
    for url in (
        f"{internal_host}/cat.png",  # a literal private address
        f"http://localhost:{port}/cat.png",  # a name resolving to one
        f"{relay_host}/bounce?to={internal_host}/cat.png",  # a trusted host redirecting there
    ):
        with pytest.raises(MediaDownloadError):
            await download(session, url, max_bytes=10_000, policy=policy)


class _Resolver(AbstractResolver):
    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [ResolveResult(hostname=host, host=a, port=port, family=family, proto=0,
                              flags=0) for a in self.addresses]

    async def close(self) -> None:
        return None


async def test_a_public_name_keeps_only_its_public_addresses() -> None:
    policy = EgressPolicy(trusted_hosts=["relay.internal"])
    mixed = GuardedResolver(policy, _Resolver(["10.0.0.5", "93.184.216.34", "169.254.169.254"]))
    assert [r["host"] for r in await mixed.resolve("cdn.example.com", 443)] == ["93.184.216.34"]
    private = GuardedResolver(policy, _Resolver(["10.0.0.5"]))
    with pytest.raises(EgressRefusedError):
        await private.resolve("sneaky.example.com", 443)
    assert [r["host"] for r in await private.resolve("relay.internal", 443)] == ["10.0.0.5"]


async def test_behind_a_proxy_names_are_still_checked_before_the_request(
    relay_host: str, internal_host: str
) -> None:
    from bot.proxy import client_session
    from tests.fakes.proxy import FakeProxy

    port = relay_host.rsplit(":", 1)[1]
    async with FakeProxy() as proxy:
        # The connector only ever resolves the proxy's own address: the target's name goes
        # to the proxy unresolved, so the policy has to look at it first.
        policy = EgressPolicy(trusted_hosts=["127.0.0.1"], resolve_before_request=True)
        async with client_session(proxy.http_url, resolver=policy.resolver()) as session:
            for url in (f"http://localhost:{port}/cat.png", f"{internal_host}/cat.png"):
                with pytest.raises(MediaDownloadError, match="refusing to fetch") as refused:
                    await download(session, url, max_bytes=10_000, policy=policy)
                told = describe_failure(refused.value, "zh") or ""
                assert "refusing" not in told and t("media.failed.refused", "zh") in told
            assert proxy.passages == [], "nothing was asked of the proxy"
            media = await download(session, f"{relay_host}/cat.png", max_bytes=10_000,
                                   policy=policy)
            assert media.data == PNG
            assert proxy.targets() == {f"127.0.0.1:{port}"}, "allowed fetches use the proxy"
async def test_the_relays_host_is_trusted_on_the_relays_port_only(relay_host: str) -> None:
    other_runner, other = await _serve("127.0.0.1")  # another service on the same machine
    try:
        relay_port = relay_host.rsplit(":", 1)[1]
        policy = EgressPolicy(trusted_hosts=[f"127.0.0.1:{relay_port}"])
        connector = aiohttp.TCPConnector(resolver=policy.resolver())
        async with aiohttp.ClientSession(connector=connector) as session:
            media = await download(session, f"{relay_host}/cat.png", max_bytes=10_000,
                                   policy=policy)
            assert media.data == PNG
            other_port = other.rsplit(":", 1)[1]
            for url in (f"{other}/cat.png", f"http://localhost:{other_port}/cat.png",
                        f"{relay_host}/bounce?to={other}/cat.png"):
                with pytest.raises(MediaDownloadError):
                    await download(session, url, max_bytes=10_000, policy=policy)
        # A listed media host (no port: any port) is trusted like the relay.
        widened = EgressPolicy(trusted_hosts=[f"127.0.0.1:{relay_port}", "127.0.0.1"])
        widened.check_url(f"{other}/cat.png")
    finally:
        await other_runner.cleanup()


async def test_remembered_verdicts_refuse_again_and_names_are_resolved_every_time() -> None:
    # Verdicts on literal addresses are remembered: asked again, the answer is the same.
    policy = EgressPolicy(trusted_hosts=["127.0.0.1:8080"])
    for _ in range(3):
        for url in ("http://10.0.0.5/a.png", "http://[::1]:8080/a.png", "http://127.0.0.1:81/"):
            with pytest.raises(EgressRefusedError):
                policy.check_url(url)
        policy.check_url("http://127.0.0.1:8080/a.png")  # the relay, on its port
        policy.check_url("http://93.184.216.34/a.png")  # a public address
    # Behind a proxy a name is resolved before each request, never from memory: a name
    # that answered with a public address and now answers with a private one (DNS
    # rebinding) is refused the next time.
    answers = [["93.184.216.34"], ["169.254.169.254"], ["93.184.216.34"]]
    rebinding = EgressPolicy(
        resolve_before_request=True, dns=lambda: _Resolver(answers.pop(0))
    )
    await rebinding.vet("http://cdn.example.com/a.png")
    with pytest.raises(EgressRefusedError):
        await rebinding.vet("http://cdn.example.com/a.png")
    await rebinding.vet("http://cdn.example.com/a.png")
    assert answers == [], "one resolution per request"
