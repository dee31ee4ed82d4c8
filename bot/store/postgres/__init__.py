"""The ``Store`` on a PostgreSQL database (asyncpg, with a pool), for several bot processes.

One part class per protocol part over one ``PgDatabase`` pool; the schema is in
``migrations`` (the same version numbers as SQLite's). Open it through
``bot.store.open_store``.
"""

from __future__ import annotations

from bot.store.composed import ComposedStore
from bot.store.postgres.buttons import PgButtons
from bot.store.postgres.community import PgAccess, PgLedger
from bot.store.postgres.conversations import PgConversations
from bot.store.postgres.db import PgDatabase
from bot.store.postgres.deliveries import PgDeliveries
from bot.store.postgres.events import PgEvents
from bot.store.postgres.jobs import PgJobs
from bot.store.postgres.settings import PgPending, PgSettings, PgUsage
from bot.store.rows import Clock, KeyFactory, new_button_keys


async def open_postgres_store(
    url: str,
    *,
    clock: Clock | None = None,
    pool_size: int = 10,
    key_factory: KeyFactory = new_button_keys,
) -> ComposedStore:
    """Connect (creating or migrating the schema); ``SchemaTooNewError`` if the database
    comes from a newer relaybot. Without ``clock`` "now" is the database server's clock."""
    db = await PgDatabase.connect(url, pool_size=pool_size, clock=clock)
    return ComposedStore(
        conversations=PgConversations(db),
        settings=PgSettings(db),
        jobs=PgJobs(db),
        deliveries=PgDeliveries(db),
        buttons=PgButtons(db, key_factory),
        pending=PgPending(db),
        usage=PgUsage(db),
        ledger=PgLedger(db),
        access=PgAccess(db),
        events=PgEvents(db),
        close=db.close,
        description=db.description,
    )
