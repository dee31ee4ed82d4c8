"""A wake-up signal shared by commands and the job tracker.

Commands ring it after storing a new job so the tracker polls at once instead of at its
next scheduled tick; the optional notify hook rings it on a relay callback. It is only a
hint: the tracker polls on its schedule whether or not the bell rings. It lives in the
core because :class:`bot.core.context.Services` carries it to both sides.
"""

from __future__ import annotations

import asyncio


class TrackerBell:
    """``ring()`` from anywhere in the loop; the tracker ``await``\\ s :meth:`wait`."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        self._event.set()

    async def wait(self) -> None:
        """Return once the bell has rung since the last :meth:`clear`."""
        await self._event.wait()

    def clear(self) -> None:
        self._event.clear()

    @property
    def rung(self) -> bool:
        return self._event.is_set()
