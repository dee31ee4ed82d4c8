"""A wake-up signal shared by commands and the job tracker.

A ring makes the tracker look now rather than at its next tick: the relay's notify hook
rings it on a callback (that job is asked about at once), commands after a cancel or a
MODAL answer (due deliveries start). A new job does not ring it: polling is coalesced, so
the job waits for the next tick anyway. It is only a hint: the tracker polls on its
schedule whether or not the bell rings. It lives in the
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
