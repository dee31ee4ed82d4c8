"""Media in and out: size-capped downloads, content-type sniffing, data URIs.

Downloads go through the one shared ``aiohttp.ClientSession`` and stream the body,
stopping as soon as the cap is passed, so a hostile or mistaken link cannot fill memory.
The declared Content-Type is not trusted: the first bytes are sniffed for the formats
we handle, and the sniffed type wins. A download meant to be a picture, sound or film
must be one by its bytes, whatever the server declares.

Errors::

    MediaError
    ├── MediaTooLargeError     over the caller's byte cap (declared or while reading)
    ├── MediaTypeError         not one of the kinds the caller accepts
    └── MediaDownloadError     HTTP error status, connection failure or timeout
"""

from __future__ import annotations

import asyncio
import base64
import functools
import mimetypes
import re
import struct
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

import aiohttp
import yarl

from bot.egress import EgressPolicy, EgressRefusedError

AttachmentKind = Literal["image", "audio", "voice", "video", "file"]

_CHUNK: Final = 64 * 1024
_SNIFF_BYTES: Final = 64
_MAX_REDIRECTS: Final = 5
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_MEDIA_KINDS: Final = frozenset({"image", "audio", "video"})

_EXTENSIONS: Final = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "audio/wav": ".wav",
    "audio/flac": ".flac",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "application/json": ".json",
    "text/plain": ".txt",
}


class MediaError(Exception):
    """A file could not be fetched or is not acceptable."""


class MediaTooLargeError(MediaError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes is over the {limit} byte limit")
        self.size = size
        self.limit = limit


class MediaTypeError(MediaError):
    """``got`` is the type the bytes show; ``unrecognised``: they show none we know, and
    ``got`` is only what the server or file claimed."""

    def __init__(self, got: str, allowed: Collection[str], *, unrecognised: bool = False) -> None:
        what = f"unrecognised bytes served as {got}" if unrecognised else got
        super().__init__(f"{what} is not one of {', '.join(allowed)}")
        self.got = got
        self.allowed = tuple(allowed)
        self.unrecognised = unrecognised


class MediaDownloadError(MediaError):
    """``reason`` is for logs; ``code`` (``refused``, ``redirects``, ``network``) names a
    reason users read in their own language, "" when ``reason`` says it (``HTTP 404``)."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class Media:
    data: bytes = field(repr=False)
    content_type: str
    filename: str

    @property
    def kind(self) -> AttachmentKind:
        return kind_of(self.content_type)


def sniff_content_type(data: bytes) -> str | None:
    """The media type the first bytes show, for the formats the bot handles."""
    head = data[:_SNIFF_BYTES]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        return "audio/mp4" if head[8:11] == b"M4A" else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    return None


def _markup_type(data: bytes) -> str | None:
    """``text/html`` or ``application/json`` when the body is markup, else None."""
    head = data[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<"):
        return "text/html"
    if head.startswith((b"{", b"[")):
        return "application/json"
    return None


def kind_of(content_type: str) -> AttachmentKind:
    """``image/png`` → ``image``; ``audio/ogg`` → ``audio``; anything unknown → ``file``."""
    major = content_type.split("/", 1)[0].strip().lower()
    if major == "image":
        return "image"
    if major == "audio":
        return "audio"
    if major == "video":
        return "video"
    return "file"


def extension_for(content_type: str) -> str:
    return _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"


def guess_content_type(data: bytes, filename: str, declared: str | None = None) -> str:
    """Sniffed type first, then the declared one, then the file name's extension."""
    sniffed = sniff_content_type(data)
    if sniffed is not None:
        return sniffed
    if declared and declared != "application/octet-stream":
        declared = declared.split(";", 1)[0].strip().lower()
        # Error pages and API errors often come with the media type the URL promised;
        # markup is never a picture, sound or film we can send.
        markup = _markup_type(data)
        if markup is not None and kind_of(declared) != "file":
            return markup
        return declared
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def data_uri(data: bytes, content_type: str) -> str:
    """``data:image/png;base64,...`` for inline images in vision requests."""
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


_UNSAFE_IN_NAME: Final = re.compile(r"[/\\\x00-\x1f\x7f]")


def filename_from_url(url: str, content_type: str) -> str:
    return _filename_from_path(urlsplit(url).path, content_type)


def _filename_from_path(path: str, content_type: str) -> str:
    """The last segment of a URL's (still %-encoded) path, decoded, with an extension.
    A separator or control character decoded from it (``%2F``, ``%00``) becomes ``_``: the
    name is shown to users and handed to platforms as one file's name, never a path."""
    name = _UNSAFE_IN_NAME.sub("_", unquote(path.rsplit("/", 1)[-1])).strip(".")
    if not name or "." not in name:
        name = (name or "file") + extension_for(content_type)
    return name[-100:]


def check_kind(content_type: str, allowed: Collection[str]) -> None:
    """Raise :class:`MediaTypeError` unless ``content_type`` is one of ``allowed`` kinds."""
    if allowed and kind_of(content_type) not in allowed:
        raise MediaTypeError(content_type, allowed)


async def download(
    session: aiohttp.ClientSession,
    url: str,
    *,
    max_bytes: int,
    allowed: Collection[str] = (),
    timeout_s: float = 60.0,
    policy: EgressPolicy | None = None,
) -> Media:
    """Fetch ``url`` into memory, at most ``max_bytes``, and check what it is.

    ``allowed`` is the set of kinds accepted (empty: anything). ``policy`` refuses
    non-public addresses, checked on every redirect hop too. Raises a
    :class:`MediaError`; never an aiohttp exception.
    """
    timeout = _timeout(timeout_s)
    try:
        # Parsed once: the policy checks the very URL object that is requested.
        target = yarl.URL(url)
        for _ in range(_MAX_REDIRECTS + 1):
            if policy is not None:
                await policy.vet(target)
            async with session.get(target, timeout=timeout, allow_redirects=False) as response:
                location = response.headers.get("Location")
                if response.status in _REDIRECTS and location:
                    target = response.url.join(yarl.URL(location))
                    continue
                if response.status >= 400:
                    raise MediaDownloadError(f"HTTP {response.status}")
                declared_size = response.content_length
                if declared_size is not None and declared_size > max_bytes:
                    raise MediaTooLargeError(declared_size, max_bytes)
                data = await read_capped(response.content, max_bytes)
                declared_type = response.headers.get("Content-Type")
                break
        else:
            raise MediaDownloadError("too many redirects", "redirects")
    except EgressRefusedError as exc:
        raise MediaDownloadError(str(exc), "refused") from exc
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise MediaDownloadError(type(exc).__name__, "network") from exc
    # The path as the URL object split it (a link is one new string per task: splitting
    # it again would be work the lru cache of urlsplit never saves).
    path = target.raw_path
    content_type = guess_content_type(data, path, declared_type)
    if any(kind in _MEDIA_KINDS for kind in allowed):
        # A picture, sound or film must show it in its bytes: a text or error page
        # served as image/png is refused, never uploaded as an image.
        sniffed = sniff_content_type(data)
        if sniffed is None:
            raise MediaTypeError(content_type, allowed, unrecognised=True)
        content_type = sniffed
    check_kind(content_type, allowed)
    return Media(data, content_type, _filename_from_path(path, content_type))


@functools.lru_cache(maxsize=16)
def _timeout(total_s: float) -> aiohttp.ClientTimeout:
    """One (immutable) timeout object per configured value, not one per download."""
    return aiohttp.ClientTimeout(total=total_s)


async def read_capped(stream: aiohttp.StreamReader, max_bytes: int) -> bytes:
    """Read a body to its end, failing as soon as it passes ``max_bytes``."""
    parts: list[bytes] = []
    total = 0
    async for chunk in stream.iter_chunked(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise MediaTooLargeError(total, max_bytes)
        parts.append(chunk)
    return b"".join(parts)


async def read_file_capped(path: str, max_bytes: int) -> bytes:
    """Read a local file without blocking the loop, failing beyond ``max_bytes``."""

    def read() -> bytes:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise MediaTooLargeError(len(data), max_bytes)
        return data

    return await asyncio.to_thread(read)


_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_JPEG_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG, GIF or WebP image, read from its header."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        if marker == 0xDA:  # start of scan: no frame header found before the image data
            return None
        pos += 2 + length
    return None
