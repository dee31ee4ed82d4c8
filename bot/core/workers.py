"""Telling processes that share a store apart by their worker ids.

A worker id is ``<instance_name>[:role]:<pid>:<random>`` (:func:`bot.runtime.process_identity`).
The job tracker's delivery leases and the credit ledger's reservations record it, so a
process can tell what it replaces (same name, gone) from what another live process is doing.
"""

from __future__ import annotations

import os


def name_and_pid(worker_id: str) -> tuple[str | None, int | None]:
    """``"host:/data/bot.db:4242:a1b2c3"`` → (``"host:/data/bot.db"``, 4242)."""
    parts = worker_id.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None, None
    return parts[0], int(parts[1])


def running(pid: int | None) -> bool:
    """Whether a process with ``pid`` runs on this host (unknown: assume it does)."""
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but is someone else's
    return True


def replaced_by(worker: str, me: str, *, named: bool) -> bool:
    """Whether ``worker`` is a process that ``me`` replaces: the same name, and gone.

    It is gone when ``named`` (``[bot] instance_name`` is set: the operator gives each
    process its own name) or, with the default name (host and storage), when it had this
    process's pid (a container restarts with the same pid) or no process with its pid runs
    on this host any more. Never ``me`` itself."""
    name, pid = name_and_pid(me)
    other_name, other_pid = name_and_pid(worker)
    if name is None or worker == me or other_name != name:
        return False
    return named or other_pid == pid or not running(other_pid)
