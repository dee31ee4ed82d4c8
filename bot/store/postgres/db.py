"""The asyncpg pool behind the PostgreSQL store, shared by its parts.

"Now" on PostgreSQL is the database server's clock (``now()``, the start of the current
transaction), so leases taken by processes on different machines are compared against one
clock. Tests inject a clock instead; every statement therefore takes "now" as a parameter that
is NULL in production: ``now_sql(n)`` is ``COALESCE($n, <server clock>)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import asyncpg

from bot.config_storage import url_without_secrets
from bot.store.postgres.migrations import migrate
from bot.store.records import StoreUnavailableError
from bot.store.rows import Clock

if TYPE_CHECKING:
    from bot.store.postgres.migrations import Connection

Params = Sequence[object]


def now_sql(param: int) -> str:
    """SQL for "now" in float seconds: parameter ``$param`` if not NULL, else the server's."""
    return f"COALESCE(${param}::float8, extract(epoch FROM now())::float8)"


async def _leave_session_as_is(conn: asyncpg.Connection) -> None:
    """The pool's reset of a connection it takes back: nothing to send.

    asyncpg's default sends a query after every use (``pg_advisory_unlock_all()``,
    ``CLOSE ALL``, ``UNLISTEN *``, ``RESET ALL``), and the pool takes the connection back
    before a call like ``pool.fetchrow`` returns: a second round trip that every store call
    waited for. The store leaves no session state to undo: its advisory locks are
    transaction-scoped (``pg_advisory_xact_lock``), it opens no cursors, listens to nothing
    and sets no session settings (a part that starts to must undo it itself). A transaction
    left open is still rolled back: asyncpg does that before calling this."""


class PgDatabase:
    """A pool of connections; open with ``PgDatabase.connect``."""

    def __init__(self, pool: asyncpg.Pool, description: str, clock: Clock | None) -> None:
        self._pool = pool
        self._clock = clock
        self.description = description

    @classmethod
    async def connect(cls, url: str, *, pool_size: int, clock: Clock | None) -> PgDatabase:
        """Open the pool and migrate; the pool is closed again if anything fails."""
        description = f"PostgreSQL {url_without_secrets(url)}"
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size,
                                             reset=_leave_session_as_is)
        except (OSError, asyncpg.PostgresError) as error:
            # These messages name the server and user, never the password.
            raise StoreUnavailableError(f"cannot connect to {description}: {error}") from None
        except (asyncpg.InterfaceError, ValueError):
            # A malformed URL: asyncpg's message may quote it, password and all.
            raise StoreUnavailableError(f"cannot use {description}: not a valid URL") from None
        try:
            async with pool.acquire() as conn:
                await migrate(conn, description)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, description, clock)

    def now(self) -> float | None:
        """The value for a ``now_sql`` parameter: the injected clock's, else NULL."""
        return self._clock() if self._clock is not None else None

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """One pooled connection for several statements, each committed on its own."""
        async with self._pool.acquire() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn

    async def fetch_one(self, sql: str, params: Params = ()) -> asyncpg.Record | None:
        return await self._pool.fetchrow(sql, *params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        return list(await self._pool.fetch(sql, *params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        status = await self._pool.execute(sql, *params)
        # The command tag ends with the row count: "UPDATE 1", "DELETE 3", "INSERT 0 1".
        return int(status.rsplit(" ", 1)[-1])
