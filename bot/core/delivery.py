"""Helpers for turning relay results into messages: image links, button rows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.core.context import Services
from bot.core.models import AttachmentKind, Button, OutgoingFile, PlatformLimits
from bot.media import MediaError, download

log = logging.getLogger(__name__)

_IMAGES: Final[tuple[AttachmentKind, ...]] = ("image",)


@dataclass(frozen=True, slots=True)
class FetchedImages:
    files: tuple[OutgoingFile, ...]
    failed_urls: tuple[str, ...]  # keep these as links in the text


async def fetch_images(
    services: Services, urls: Sequence[str], limits: PlatformLimits
) -> FetchedImages:
    """Download relay image links (size-capped, type-checked) concurrently.

    The cap is the smaller of the configured download limit and what the platform can
    upload; a link that fails is reported back so the caller shows it instead.
    """
    cap = min(int(services.config.bot.max_download_mb * 1024 * 1024), limits.max_upload_bytes)
    timeout = services.config.relay.timeout_s

    async def one(url: str) -> OutgoingFile | None:
        try:
            media = await download(
                services.http,
                url,
                max_bytes=cap,
                allowed=_IMAGES,
                timeout_s=timeout,
                policy=services.egress,
            )
        except MediaError as exc:
            log.info("image link not delivered as a file (%s): %s", exc, url)
            return None
        return OutgoingFile(media.data, media.filename, "image", media.content_type)

    results = await asyncio.gather(*(one(url) for url in urls))
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
