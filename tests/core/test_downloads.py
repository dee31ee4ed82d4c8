"""The one download helper: every cap applies, and a refused link comes back as a link."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import BotConfig
from bot.core.delivery import fetch_file, fetch_media
from bot.media import MediaTooLargeError, MediaTypeError
from tests.core.conftest import World
from tests.fakes.responder import limits


def _image_url(world: World, side: int) -> str:
    return f"{world.sim.base_url}/sim/media/image/336699/pic.png?w={side}&h={side}"


async def test_the_smallest_cap_wins(world: World) -> None:
    url = _image_url(world, 400)
    whole = await fetch_media(world.services, url, ("image",))
    size = len(whole.data)
    small_platform = replace(limits(), max_upload_bytes=size - 1)
    assert await fetch_file(world.services, url, "image", limits=small_platform) is None
    with pytest.raises(MediaTooLargeError):
        await fetch_media(world.services, url, ("image",), max_bytes=size - 1)
    tight = replace(world.services.config, bot=BotConfig(max_download_mb=(size - 1) / 2**20))
    with pytest.raises(MediaTooLargeError):
        await fetch_media(replace(world.services, config=tight), url, ("image",))
    fetched = await fetch_file(world.services, url, "image", limits=limits())
    assert fetched is not None and fetched.data == whole.data


async def test_a_file_of_another_kind_is_refused(world: World) -> None:
    with pytest.raises(MediaTypeError):
        await fetch_media(world.services, _image_url(world, 8), ("audio",))
    assert await fetch_file(world.services, _image_url(world, 8), "video") is None
    assert await fetch_file(world.services, None, "image") is None
