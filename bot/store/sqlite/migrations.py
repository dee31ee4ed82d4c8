"""SQLite schema, versioned by ``PRAGMA user_version`` (PostgreSQL keeps the same numbers).

``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``. Steps are only ever
appended: a released step is never edited, because files in the wild already ran it.
Each step runs in its own ``BEGIN IMMEDIATE`` transaction together with the version bump,
so a crash leaves the file at a clean version, and two processes opening the same empty
file cannot both apply a step (the second one re-reads the version under the write lock).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiosqlite

from bot.store.records import SchemaTooNewError

log = logging.getLogger(__name__)

Migration = Sequence[str]

_V1_INITIAL: Migration = (
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT NOT NULL DEFAULT '',
        model TEXT,
        persona TEXT,
        active INTEGER NOT NULL CHECK (active IN (0, 1)),
        created_at REAL NOT NULL,
        ended_at REAL
    )
    """,
    # At most one active conversation per scope, whichever process creates it.
    """
    CREATE UNIQUE INDEX conversations_one_active
        ON conversations (platform, chat_id, thread_id) WHERE active = 1
    """,
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        extra TEXT,
        chars INTEGER NOT NULL CHECK (chars >= 0),
        created_at REAL NOT NULL
    )
    """,
    "CREATE INDEX messages_by_conversation ON messages (conversation_id, id)",
    """
    CREATE TABLE settings (
        scope TEXT NOT NULL CHECK (scope IN ('user', 'chat')),
        platform TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (scope, platform, owner_id, key)
    )
    """,
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        relay_task_id TEXT,
        relay_mode TEXT,
        relay_version TEXT,
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT NOT NULL DEFAULT '',
        status_message_ref TEXT,
        state TEXT NOT NULL CHECK (state IN ('submitted', 'running', 'modal', 'succeeded',
            'failed', 'cancelled', 'timed_out', 'delivering', 'delivered')),
        outcome TEXT CHECK (outcome IN ('succeeded', 'failed', 'cancelled', 'timed_out')),
        progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        progress_text TEXT,
        preview_url TEXT,
        request TEXT NOT NULL,
        result TEXT NOT NULL DEFAULT 'null',
        error TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        finished_at REAL,
        next_poll_at REAL NOT NULL,
        deadline REAL,
        delivery_worker TEXT,
        delivery_lease_until REAL,
        delivery_attempts INTEGER NOT NULL DEFAULT 0,
        delivered_at REAL,
        delivered_refs TEXT NOT NULL DEFAULT '[]'
    )
    """,
    """
    CREATE UNIQUE INDEX jobs_by_relay_id
        ON jobs (kind, relay_task_id) WHERE relay_task_id IS NOT NULL
    """,
    "CREATE INDEX jobs_by_state ON jobs (state, next_poll_at, id)",
    "CREATE INDEX jobs_by_owner ON jobs (platform, user_id, created_at)",
    """
    CREATE TABLE button_keys (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        job_id INTEGER REFERENCES jobs (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        kind TEXT NOT NULL,
        label TEXT NOT NULL,
        emoji TEXT NOT NULL,
        custom_id TEXT,
        payload TEXT NOT NULL,
        message_ref TEXT,
        created_at REAL NOT NULL
    )
    """,
    "CREATE INDEX button_keys_by_job ON button_keys (job_id, id)",
    """
    CREATE TABLE pending_inputs (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (platform, chat_id, user_id)
    )
    """,
    """
    CREATE TABLE usage (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        model TEXT,
        units INTEGER NOT NULL,
        created_at REAL NOT NULL
    )
    """,
    "CREATE INDEX usage_by_user ON usage (platform, user_id, created_at)",
)

# Named leases: which process does a job every process could do (the job tracker's polling).
_V2_LEASES: Migration = (
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        until REAL NOT NULL
    )
    """,
)

# Credits and access (see bot.store.community): the ledger is append-only; one reserve and
# one settlement (charge or refund) per hold, enforced here so no code path can settle twice.
_V3_COMMUNITY: Migration = (
    """
    CREATE TABLE credit_ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        hold TEXT NOT NULL,
        identity TEXT NOT NULL,
        capability TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('reserve', 'charge', 'refund', 'grant')),
        amount REAL NOT NULL CHECK (amount >= 0),
        job_id INTEGER,
        day INTEGER NOT NULL,
        created_at REAL NOT NULL
    )
    """,
    "CREATE UNIQUE INDEX credit_ledger_one_reserve ON credit_ledger (hold)"
    " WHERE kind IN ('reserve', 'grant')",
    "CREATE UNIQUE INDEX credit_ledger_one_settlement ON credit_ledger (hold)"
    " WHERE kind IN ('charge', 'refund')",
    "CREATE INDEX credit_ledger_by_identity ON credit_ledger (identity, day)",
    "CREATE INDEX credit_ledger_by_day ON credit_ledger (day)",
    """
    CREATE TABLE access_rules (
        identity TEXT PRIMARY KEY,
        rule TEXT NOT NULL CHECK (rule IN ('allow', 'deny')),
        updated_at REAL NOT NULL
    )
    """,
    """
    CREATE TABLE credit_allowances (
        identity TEXT PRIMARY KEY,
        daily REAL NOT NULL CHECK (daily >= 0),
        updated_at REAL NOT NULL
    )
    """,
)

# Crash-safe jobs: the ``submitting`` state (a row written before the paid submit, found
# again by ``submit_tag``), the process that holds a submit, how many pieces of a result
# went out, and one row per pressed button (one press, one action). SQLite cannot change
# a CHECK constraint, so ``jobs`` is rebuilt (the documented 12-step way: foreign keys
# are off while migrating, see ``Database.connect``; ``button_keys`` keeps its rows).
_V4_CRASH_SAFE_JOBS: Migration = (
    """
    CREATE TABLE jobs_v2 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        relay_task_id TEXT,
        relay_mode TEXT,
        relay_version TEXT,
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT NOT NULL DEFAULT '',
        status_message_ref TEXT,
        state TEXT NOT NULL CHECK (state IN ('submitting', 'submitted', 'running', 'modal',
            'succeeded', 'failed', 'cancelled', 'timed_out', 'delivering', 'delivered')),
        outcome TEXT CHECK (outcome IN ('succeeded', 'failed', 'cancelled', 'timed_out')),
        progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        progress_text TEXT,
        preview_url TEXT,
        request TEXT NOT NULL,
        result TEXT NOT NULL DEFAULT 'null',
        error TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        finished_at REAL,
        next_poll_at REAL NOT NULL,
        deadline REAL,
        delivery_worker TEXT,
        delivery_lease_until REAL,
        delivery_attempts INTEGER NOT NULL DEFAULT 0,
        delivered_at REAL,
        delivered_refs TEXT NOT NULL DEFAULT '[]',
        submit_tag TEXT,
        submit_worker TEXT,
        pieces_sent INTEGER NOT NULL DEFAULT 0 CHECK (pieces_sent >= 0)
    )
    """,
    """
    INSERT INTO jobs_v2 (id, kind, relay_task_id, relay_mode, relay_version, platform,
        user_id, chat_id, thread_id, status_message_ref, state, outcome, progress,
        progress_text, preview_url, request, result, error, created_at, updated_at,
        finished_at, next_poll_at, deadline, delivery_worker, delivery_lease_until,
        delivery_attempts, delivered_at, delivered_refs)
    SELECT id, kind, relay_task_id, relay_mode, relay_version, platform,
        user_id, chat_id, thread_id, status_message_ref, state, outcome, progress,
        progress_text, preview_url, request, result, error, created_at, updated_at,
        finished_at, next_poll_at, deadline, delivery_worker, delivery_lease_until,
        delivery_attempts, delivered_at, delivered_refs
    FROM jobs
    """,
    "DROP TABLE jobs",
    "ALTER TABLE jobs_v2 RENAME TO jobs",
    """
    CREATE UNIQUE INDEX jobs_by_relay_id
        ON jobs (kind, relay_task_id) WHERE relay_task_id IS NOT NULL
    """,
    "CREATE UNIQUE INDEX jobs_by_submit_tag ON jobs (submit_tag) WHERE submit_tag IS NOT NULL",
    "CREATE INDEX jobs_by_state ON jobs (state, next_poll_at, id)",
    "CREATE INDEX jobs_by_owner ON jobs (platform, user_id, created_at)",
    # The press that started a job from this button (``job_id`` NULL while it is being
    # submitted). The primary key makes "first press wins" one atomic INSERT.
    """
    CREATE TABLE button_presses (
        key TEXT PRIMARY KEY REFERENCES button_keys (key) ON DELETE CASCADE,
        job_id INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
        pressed_at REAL NOT NULL
    )
    """,
)

# Lookups that scanned a whole table once per job (quadratic over a bot's life):
# - a hold's entries by hold and one kind (attaching a job to a reserve, settling it, the
#   "is this hold settled?" tests of the credit totals); the partial unique indexes above
#   cover only a pair of kinds each;
# - the presses of a job: the foreign key from ``button_presses`` is checked against every
#   press when a job row is deleted (a discarded submit);
# - the due deliveries in ``finished_at`` order: listed on every tracker tick and wake-up,
#   they were all read and sorted to return the first hundred (a backlog of thousands at
#   scale); with this index a listing reads the first ones in order and stops.
_V5_LOOKUP_INDEXES: Migration = (
    "CREATE INDEX credit_ledger_by_hold ON credit_ledger (hold, kind)",
    "CREATE INDEX button_presses_by_job ON button_presses (job_id)",
    """
    CREATE INDEX jobs_due_for_delivery ON jobs (finished_at, id)
        WHERE state IN ('cancelled', 'delivering', 'failed', 'succeeded', 'timed_out')
    """,
)

# v6: which process made each reservation (its worker id, bot.runtime.process_identity),
# so a process that starts refunds only the holds of processes that are gone, never those
# of a live one sharing the database. Older rows get '' (unknown).
_V6_HOLD_HOLDERS: Migration = (
    "ALTER TABLE credit_ledger ADD COLUMN holder TEXT NOT NULL DEFAULT ''",
)

MIGRATIONS: tuple[Migration, ...] = (
    _V1_INITIAL, _V2_LEASES, _V3_COMMUNITY, _V4_CRASH_SAFE_JOBS, _V5_LOOKUP_INDEXES,
    _V6_HOLD_HOLDERS,
)
SCHEMA_VERSION = len(MIGRATIONS)


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def migrate(
    conn: aiosqlite.Connection, path: str, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Bring the database up to ``len(migrations)``; returns how many steps ran.

    The connection must be in autocommit mode (``isolation_level=None``)."""
    target = len(migrations)
    applied = 0
    started_at: int | None = None
    while True:
        # Checked before taking the write lock, so opening a current file writes nothing.
        version = await schema_version(conn)
        started_at = version if started_at is None else started_at
        if version > target:
            raise SchemaTooNewError(path, version, target)
        if version == target:
            if applied and started_at:
                # Upgrades happen on start: the operator sees it happened, and from where.
                log.info("store migrated from v%d to v%d", started_at, target)
            elif applied:
                log.debug("store created with schema v%d", target)
            return applied
        await conn.execute("BEGIN IMMEDIATE")
        try:
            version = await schema_version(conn)
            if version > target:
                raise SchemaTooNewError(path, version, target)
            if version == target:
                await conn.execute("ROLLBACK")
                continue  # another process finished the steps meanwhile
            for statement in migrations[version]:
                await conn.execute(statement)
            # PRAGMA does not take bound parameters; the value is our own int.
            await conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        applied += 1
