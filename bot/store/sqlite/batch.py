"""What the connection thread does with one hand-off of several callers' works.

:class:`~bot.store.sqlite.db.Database` sends every call queued on the event loop to the
thread together; this module runs them there, in the order they were queued, and returns
one outcome per work (its result, or the exception it raised), so that one failing work
never becomes another caller's error.

A ``write`` work runs in its own ``BEGIN IMMEDIATE`` … ``COMMIT``: a failure rolls back
that work alone, and a caller learns its work committed only after its ``COMMIT``
succeeded. A ``run`` work runs in autocommit mode, as it would alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]


@dataclass(frozen=True, slots=True)
class Outcome:
    """A work's result, or the exception it raised (``failed`` tells which)."""

    value: object
    failed: bool = False


def run_batch(
    works: Sequence[tuple[Work[object], bool]], conn: sqlite3.Connection
) -> list[Outcome]:
    """Each ``(work, atomic)`` in order: ``atomic`` ones inside their own transaction."""
    outcomes: list[Outcome] = []
    for work, atomic in works:
        try:
            value = in_transaction(work, conn) if atomic else work(conn)
        except BaseException as error:  # noqa: BLE001 - handed to the work's caller
            outcomes.append(Outcome(error, failed=True))
        else:
            outcomes.append(Outcome(value))
    return outcomes


def in_transaction(work: Work[T], conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return result


def rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with suppress(sqlite3.OperationalError):  # SQLite rolled it back itself already
            conn.execute("ROLLBACK")
