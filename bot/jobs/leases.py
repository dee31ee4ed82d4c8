"""Which of the processes sharing a store polls, and how a restarted one takes over.

One process polls: each tick it claims or renews the named lease :data:`POLL_LEASE`
(``claim_lease``, on the store's clock), so a tick's Midjourney batches stay whole and
unchanged tasks write nothing; the others skip polling and only deliver. The poll lease
lasts :func:`poll_lease_s`: a poller that dies is replaced that long after its last tick,
one that stops cleanly (``release_lease``) at once.

A process's worker id is stable across restarts (``Services.instance``), so
:func:`take_over_predecessors` lets a restarted process resume its predecessor's delivery
claims and lost submits at once instead of waiting for their leases to expire.
"""

from __future__ import annotations

import logging
from typing import Final

from bot.core.context import Services
from bot.core.workers import name_and_pid, replaced_by

log = logging.getLogger(__name__)

POLL_LEASE: Final = "job-poller"
_LEASE_TICKS: Final = 3  # a poller that missed this many ticks is replaced
_MIN_LEASE_TICKS: Final = 2  # renewed every tick: a shorter lease would lapse between ticks


def poll_lease_s(poll_interval_s: float, lease_s: float) -> float:
    """How long the poll lease lasts: three poll intervals, or ``[jobs] lease_s`` if that
    is shorter, but never under two intervals (it is renewed once per interval)."""
    return max(_MIN_LEASE_TICKS * poll_interval_s, min(_LEASE_TICKS * poll_interval_s, lease_s))


async def take_over_predecessors(services: Services, worker_id: str) -> None:
    """The delivery leases and submits in flight of the processes ``worker_id`` replaces
    are resumed now, not when their leases run out.

    Worker ids are ``<name>:<pid>:<random>`` (:func:`bot.runtime.process_identity`). A
    predecessor has the same name; it is gone when ``[bot] instance_name`` is set (the
    operator gives each process its own) or, with the default name (host and storage),
    when no process with its pid runs on this host any more."""
    store = services.store
    taken = await store.take_over(worker_id)
    name, _ = name_and_pid(worker_id)
    if name is not None:
        named = bool(services.config.bot.instance_name)
        for worker in await store.workers_with_prefix(f"{name}:"):
            if replaced_by(worker, worker_id, named=named):
                taken += await store.take_over(worker)
    if taken:
        log.info("resuming %d job(s) left by an earlier run of %s", taken, name or "it")
