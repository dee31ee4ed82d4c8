"""Turning relay results into messages: the one place media links are downloaded, button rows.

Every download of a relay or CDN link (result files, previews, images named in a chat
answer, the image a Midjourney region refers to) goes through :func:`fetch_media`: capped
at ``bot.max_download_mb`` (and at what the platform can upload, when it will be uploaded),
type-checked, limited to public addresses or the relay's own host, with the relay timeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.core.context import Services
from bot.core.models import AttachmentKind, Button, OutgoingFile, PlatformLimits
from bot.media import Media, MediaError, download

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FetchedImages:
    files: tuple[OutgoingFile, ...]
    failed_urls: tuple[str, ...]  # keep these as links in the text


def download_cap(
    services: Services, limits: PlatformLimits | None = None, max_bytes: int | None = None
) -> int:
    """The most bytes a download may have: the configured limit, the platform's upload
    limit when the file will be uploaded, and the caller's own bound."""
    caps = [int(services.config.bot.max_download_mb * 1024 * 1024)]
    if limits is not None:
        caps.append(limits.max_upload_bytes)
    if max_bytes is not None:
        caps.append(max_bytes)
    return min(caps)


async def fetch_media(
    services: Services,
    url: str,
    kinds: Collection[str],
    *,
    limits: PlatformLimits | None = None,
    max_bytes: int | None = None,
) -> Media:
    """Download ``url`` (one of ``kinds``) within :func:`download_cap`; raises MediaError."""
    return await download(
        services.http,
        url,
        max_bytes=download_cap(services, limits, max_bytes),
        allowed=kinds,
        timeout_s=services.config.relay.timeout_s,
        policy=services.egress,
    )


async def fetch_file(
    services: Services,
    url: str | None,
    kind: AttachmentKind,
    *,
    limits: PlatformLimits | None = None,
    max_bytes: int | None = None,
) -> OutgoingFile | None:
    """``url`` as a file to upload, or None when it cannot be had (the caller shows the link)."""
    if not url:
        return None
    try:
        media = await fetch_media(services, url, (kind,), limits=limits, max_bytes=max_bytes)
    except MediaError as exc:
        log.info("link not delivered as a file (%s): %s", exc, url)
        return None
    return OutgoingFile(media.data, media.filename, kind, media.content_type)


async def fetch_images(
    services: Services, urls: Sequence[str], limits: PlatformLimits
) -> FetchedImages:
    """Download relay image links concurrently; a link that fails is reported back so the
    caller shows it instead."""
    results = await asyncio.gather(
        *(fetch_file(services, url, "image", limits=limits) for url in urls)
    )
    files = tuple(f for f in results if f is not None)
    failed = tuple(url for url, f in zip(urls, results, strict=True) if f is None)
    return FetchedImages(files, failed)


def button_rows(
    buttons: Sequence[Button], limits: PlatformLimits, per_row: int | None = None
) -> tuple[tuple[Button, ...], ...]:
    """Lay buttons out in rows the platform accepts; extra rows are dropped."""
    width = max(1, min(per_row or limits.max_buttons_per_row, limits.max_buttons_per_row))
    rows = [tuple(buttons[i : i + width]) for i in range(0, len(buttons), width)]
    return tuple(rows[: limits.max_rows])
