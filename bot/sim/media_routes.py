"""``/sim/media/...``: the placeholder files every simulated result links to.

URLs carry everything needed to rebuild the file, so the server keeps no media state:
``/sim/media/image/{rrggbb}/{token}.png|.jpeg?w=W&h=H``, ``/sim/media/audio/{token}.mp3|.ogg|.wav``,
``/sim/media/video/{token}.mp4``. No API key is needed, like a CDN link.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from aiohttp import web

from bot.sim import media

_COLOUR = re.compile(r"^[0-9a-fA-F]{6}$")
JPEG_MAX_SIDE = 1024
_AUDIO_TYPES = {"mp3": "audio/mpeg", "ogg": "audio/ogg", "opus": "audio/ogg", "wav": "audio/wav"}


def base_of(request: web.Request) -> str:
    """The origin the client used to reach us, so links work behind any host/port."""
    return str(request.url.origin())


def image_url(
    base: str, rgb: media.RGB, token: str, width: int = 256, height: int = 256,
    *, ext: str = "png",
) -> str:
    """A PNG link, or a JPEG one with ``ext="jpeg"`` (Suno's covers are JPEGs)."""
    colour = "".join(f"{c:02x}" for c in rgb)
    return f"{base}/sim/media/image/{colour}/{quote(token, safe='')}.{ext}?w={width}&h={height}"


def audio_url(base: str, token: str, ext: str = "mp3") -> str:
    return f"{base}/sim/media/audio/{quote(token, safe='')}.{ext}"


def video_url(base: str, token: str) -> str:
    return f"{base}/sim/media/video/{quote(token, safe='')}.mp4"


def png_response(width: int, height: int, rgb: media.RGB) -> web.Response:
    w, h = media.scaled_size(width, height)
    return web.Response(body=media.make_png(w, h, rgb), content_type="image/png")


def _int_query(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name, "")
    return int(raw) if raw.isdigit() else default


def _colour(request: web.Request) -> media.RGB:
    colour = request.match_info["colour"]
    if not _COLOUR.match(colour):
        raise web.HTTPNotFound(text="(simulated relay) bad colour in media URL")
    return (int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16))


async def serve_image(request: web.Request) -> web.Response:
    rgb = _colour(request)
    return png_response(_int_query(request, "w", 256), _int_query(request, "h", 256), rgb)


async def serve_jpeg(request: web.Request) -> web.Response:
    """Solid JPEGs stay tiny at any size, so these keep the asked size up to 1024 px:
    a Suno ``image_large_url`` really is too big for a Telegram thumbnail."""
    rgb = _colour(request)
    w, h = media.scaled_size(
        _int_query(request, "w", 256), _int_query(request, "h", 256), JPEG_MAX_SIDE
    )
    return web.Response(body=media.make_jpeg(w, h, rgb), content_type="image/jpeg")


async def serve_audio(request: web.Request) -> web.Response:
    ext = request.match_info["ext"]
    if ext == "mp3":
        body = media.make_mp3()
    elif ext in ("ogg", "opus"):
        body = media.make_ogg_opus()
    elif ext == "wav":
        body = media.make_wav()
    else:
        raise web.HTTPNotFound(text=f"(simulated relay) no audio of type {ext}")
    return web.Response(body=body, content_type=_AUDIO_TYPES[ext])


async def serve_video(request: web.Request) -> web.Response:
    return web.Response(body=media.make_mp4(), content_type="video/mp4")


def register(app: web.Application) -> None:
    app.router.add_get("/sim/media/image/{colour}/{token:[^/]+}.png", serve_image)
    app.router.add_get("/sim/media/image/{colour}/{token:[^/]+}.jpeg", serve_jpeg)
    app.router.add_get("/sim/media/audio/{token:[^/.]+}.{ext:[a-z0-9]+}", serve_audio)
    app.router.add_get("/sim/media/video/{token:[^/]+}.mp4", serve_video)
