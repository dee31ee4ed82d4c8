"""Size-capped downloads and type sniffing against a loopback server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.core.delivery import fetch_images
from bot.core.failures import describe_failure
from bot.media import (
    MediaDownloadError,
    MediaTooLargeError,
    MediaTypeError,
    data_uri,
    download,
    sniff_content_type,
)
from bot.sim.media import make_mp3, make_png
from tests.core.conftest import World
from tests.fakes.responder import limits

PNG = make_png(8, 8, (10, 20, 30))


async def _server() -> web.Application:
    async def png_labelled_as_bytes(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="application/octet-stream")

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>login page</html>", content_type="text/html")

    async def huge_streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # no Content-Length: the cap must stop the read
        await response.prepare(request)
        for _ in range(64):
            await response.write(b"\x89PNG\r\n\x1a\n" + bytes(16 * 1024))
        return response

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/files/r%C3%A9sultat%20final.png?sig=1")

    app = web.Application()
    app.router.add_get("/cat.bin", png_labelled_as_bytes)
    app.router.add_get("/page", html)
    app.router.add_get("/huge", huge_streamed)
    app.router.add_get("/missing.png", missing)
    app.router.add_get("/files/{name}", png_labelled_as_bytes)
    app.router.add_get("/files/", png_labelled_as_bytes)
    app.router.add_get("/moved", moved)
    return app


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    runner = web.AppRunner(await _server())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_sniffed_type_wins_over_the_declared_one(
    base_url: str, session: aiohttp.ClientSession
) -> None:
    media = await download(session, f"{base_url}/cat.bin", max_bytes=10_000, allowed=("image",))
    assert media.content_type == "image/png"
    assert media.kind == "image"
    assert media.data == PNG


async def test_the_file_name_is_the_last_part_of_the_link_the_bytes_came_from(
    base_url: str, session: aiohttp.ClientSession
) -> None:
    async def name_of(path: str) -> str:
        return (await download(session, f"{base_url}{path}", max_bytes=10_000)).filename

    assert await name_of("/files/a%20cat.bin?w=256") == "a cat.bin"
    assert await name_of("/files/") == "file.png"  # no name: one from the type
    assert await name_of("/moved") == "résultat final.png"  # after a redirect: the target's
    # Decoded separators and control characters never make a path out of the name.
    assert await name_of("/files/..%2F..%2Fetc%2Fpasswd") == "_.._etc_passwd"
    assert await name_of("/files/a%5Cb%00c.png") == "a_b_c.png"


async def test_a_web_page_is_not_an_image(base_url: str, session: aiohttp.ClientSession) -> None:
    with pytest.raises(MediaTypeError) as error:
        await download(session, f"{base_url}/page", max_bytes=10_000, allowed=("image",))
    assert error.value.got == "text/html"


async def test_reading_stops_at_the_cap(base_url: str, session: aiohttp.ClientSession) -> None:
    with pytest.raises(MediaTooLargeError) as error:
        await download(session, f"{base_url}/huge", max_bytes=100_000)
    assert error.value.limit == 100_000


async def test_http_errors_and_unreachable_hosts(
    base_url: str, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(MediaDownloadError, match="HTTP 404"):
        await download(session, f"{base_url}/missing.png", max_bytes=1000)
    with pytest.raises(MediaDownloadError) as unreachable:
        await download(session, "http://127.0.0.1:9/x.png", max_bytes=1000, timeout_s=2)
    # The exception's class name is for the log; a Chinese reader is told in Chinese.
    told = describe_failure(unreachable.value, "zh") or ""
    assert told.startswith("无法下载文件") and re.search(r"[A-Za-z]{3,}", told) is None


def test_sniffing_known_formats() -> None:
    assert sniff_content_type(PNG) == "image/png"
    assert sniff_content_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_content_type(b"GIF89a....") == "image/gif"
    assert sniff_content_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_content_type(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "audio/wav"
    assert sniff_content_type(b"OggS\x00\x02") == "audio/ogg"
    assert sniff_content_type(make_mp3(2)) == "audio/mpeg"
    assert sniff_content_type(b"\x00\x00\x00\x18ftypmp42") == "video/mp4"
    assert sniff_content_type(b"\x1a\x45\xdf\xa3webm") == "video/webm"
    assert sniff_content_type(b"plain text") is None


def test_data_uri() -> None:
    assert data_uri(b"abc", "image/png") == "data:image/png;base64,YWJj"


async def test_an_html_page_served_as_image_png_stays_a_link(world: World) -> None:
    """A host that answers every path with an HTML page but says image/png: sending that
    as a photo fails on the platform, so the link must stay in the text instead."""

    async def liar(request: web.Request) -> web.Response:
        return web.Response(body=b"<!DOCTYPE html><html><body>Not found</body></html>",
                            content_type="image/png")

    async def honest(request: web.Request) -> web.Response:
        return web.Response(body=make_png(4, 4, (1, 2, 3)), content_type="image/png")

    app = web.Application()
    app.router.add_get("/lie.png", liar)
    app.router.add_get("/ok.png", honest)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        urls = [f"http://127.0.0.1:{port}/lie.png", f"http://127.0.0.1:{port}/ok.png"]
        fetched = await fetch_images(world.services, urls, limits())
    finally:
        await runner.cleanup()

    assert fetched.failed_urls == (urls[0],)
    assert [f.content_type for f in fetched.files] == ["image/png"]
