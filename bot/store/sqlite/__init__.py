"""The ``Store`` on one SQLite file (WAL, foreign keys on): the default, and the demo.

One part class per protocol part (``conversations``, ``settings``, ``jobs``, ``deliveries``,
``buttons``, ``ledger``, ``access``...), all
over one ``Database`` connection; the schema is in ``migrations``. Several stores (even in
several processes) may share a file: writes that must not race are single conditional
statements or ``BEGIN IMMEDIATE`` transactions, and ``busy_timeout`` makes a blocked writer
wait instead of failing. Open it through ``bot.store.open_store``.
"""

from __future__ import annotations

import time
from os import PathLike

from bot.config_storage import SqliteSynchronous
from bot.store.composed import ComposedStore
from bot.store.rows import Clock, KeyFactory, new_button_keys
from bot.store.sqlite.buttons import SqliteButtons
from bot.store.sqlite.community import SqliteAccess, SqliteLedger
from bot.store.sqlite.conversations import SqliteConversations
from bot.store.sqlite.db import Database
from bot.store.sqlite.deliveries import SqliteDeliveries
from bot.store.sqlite.events import SqliteEvents
from bot.store.sqlite.jobs import SqliteJobs
from bot.store.sqlite.settings import SqlitePending, SqliteSettings, SqliteUsage


async def open_sqlite_store(
    path: str | PathLike[str],
    *,
    clock: Clock = time.time,
    busy_timeout_ms: int = 5000,
    synchronous: SqliteSynchronous = "normal",
    key_factory: KeyFactory = new_button_keys,
) -> ComposedStore:
    """Open (creating or migrating) the database; ``SchemaTooNewError`` if the file
    comes from a newer relaybot. ``synchronous``: see ``Database.connect``."""
    db = await Database.connect(path, busy_timeout_ms=busy_timeout_ms, synchronous=synchronous)
    return ComposedStore(
        conversations=SqliteConversations(db, clock),
        settings=SqliteSettings(db, clock),
        jobs=SqliteJobs(db, clock),
        deliveries=SqliteDeliveries(db, clock),
        buttons=SqliteButtons(db, clock, key_factory),
        pending=SqlitePending(db, clock),
        usage=SqliteUsage(db, clock),
        ledger=SqliteLedger(db),
        access=SqliteAccess(db),
        events=SqliteEvents(db, clock),
        close=db.close,
        description=f"SQLite {db.path}",
    )
