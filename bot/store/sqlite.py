"""``SqliteStore``: the ``Store`` protocol on one SQLite file (WAL, foreign keys on).

Conversations, settings, pending inputs and the usage ledger live here; jobs, delivery and
button keys in ``sqlite_jobs``; the connection and its lock in ``sqlite_db``; the schema in
``migrations``. Several ``SqliteStore`` objects (even in several processes) may share a file:
writes that must not race are single conditional statements or ``BEGIN IMMEDIATE``
transactions, and ``busy_timeout`` makes a blocked writer wait instead of failing.
"""

from __future__ import annotations

import sqlite3
import time
from os import PathLike
from types import TracebackType
from typing import TYPE_CHECKING, Final

from bot.store.base import (
    Conversation,
    JsonValue,
    Message,
    PendingInput,
    SettingScope,
    Store,
    UsageTotals,
)
from bot.store.sqlite_db import (
    Clock,
    Database,
    KeyFactory,
    dump_json,
    load_json,
    new_button_key,
    tx_fetch_one,
)
from bot.store.sqlite_jobs import SqliteJobs

_HISTORY_PAGE: Final = 64
_NO_ID_LIMIT: Final = 2**63 - 1


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(
        id=row["id"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        model=row["model"],
        persona=row["persona"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        ended_at=row["ended_at"],
    )


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=row["role"],
        content=row["content"],
        extra=load_json(row["extra"]),
        chars=row["chars"],
        created_at=row["created_at"],
    )


def _pending(row: sqlite3.Row) -> PendingInput:
    return PendingInput(
        platform=row["platform"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        kind=row["kind"],
        payload=load_json(row["payload"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


_ACTIVE_IN_SCOPE = (
    "SELECT * FROM conversations"
    " WHERE platform = ? AND chat_id = ? AND thread_id = ? AND active = 1"
)


class SqliteStore(SqliteJobs):
    """Open with ``await SqliteStore.open(path)``; close with ``await store.close()``
    or use it as an async context manager."""

    @classmethod
    async def open(
        cls,
        path: str | PathLike[str],
        *,
        clock: Clock = time.time,
        busy_timeout_ms: int = 5000,
        key_factory: KeyFactory = new_button_key,
    ) -> SqliteStore:
        """Open (creating or migrating) the database; ``SchemaTooNewError`` if the file
        comes from a newer relaybot. ``key_factory`` makes button keys (tests inject one)."""
        db = await Database.connect(path, busy_timeout_ms=busy_timeout_ms)
        return cls(db, clock, key_factory)

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> SqliteStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- conversations -------------------------------------------------------------------
    async def active_conversation(
        self, platform: str, chat_id: str, thread_id: str = ""
    ) -> Conversation:
        scope = (platform, chat_id, thread_id)
        row = await self._db.fetch_one(_ACTIVE_IN_SCOPE, scope)
        if row is not None:
            return _conversation(row)
        async with self._db.transaction() as conn:
            # Re-read under the write lock: another process may have created it meanwhile.
            row = await tx_fetch_one(conn, _ACTIVE_IN_SCOPE, scope)
            if row is None:
                row = await tx_fetch_one(
                    conn,
                    "INSERT INTO conversations (platform, chat_id, thread_id, active,"
                    " created_at) VALUES (?, ?, ?, 1, ?) RETURNING *",
                    (*scope, self._clock()),
                )
        assert row is not None
        return _conversation(row)

    async def reset_conversation(
        self, platform: str, chat_id: str, thread_id: str = "", *, keep_settings: bool = True
    ) -> Conversation:
        scope = (platform, chat_id, thread_id)
        now = self._clock()
        async with self._db.transaction() as conn:
            old = await tx_fetch_one(
                conn,
                "UPDATE conversations SET active = 0, ended_at = ?"
                " WHERE platform = ? AND chat_id = ? AND thread_id = ? AND active = 1"
                " RETURNING model, persona",
                (now, *scope),
            )
            model, persona = (
                (old["model"], old["persona"]) if old and keep_settings else (None, None)
            )
            row = await tx_fetch_one(
                conn,
                "INSERT INTO conversations (platform, chat_id, thread_id, model, persona,"
                " active, created_at) VALUES (?, ?, ?, ?, ?, 1, ?) RETURNING *",
                (*scope, model, persona, now),
            )
        assert row is not None
        return _conversation(row)

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        row = await self._db.fetch_one(
            "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
        )
        return _conversation(row) if row is not None else None

    async def set_conversation_model(self, conversation_id: int, model: str | None) -> None:
        await self._db.execute(
            "UPDATE conversations SET model = ? WHERE id = ?", (model, conversation_id)
        )

    async def set_conversation_persona(self, conversation_id: int, persona: str | None) -> None:
        await self._db.execute(
            "UPDATE conversations SET persona = ? WHERE id = ?", (persona, conversation_id)
        )

    async def append_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        extra: JsonValue = None,
        chars: int | None = None,
    ) -> Message:
        row = await self._db.fetch_one(
            "INSERT INTO messages (conversation_id, role, content, extra, chars, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
            (
                conversation_id,
                role,
                content,
                dump_json(extra) if extra is not None else None,
                len(content) if chars is None else chars,
                self._clock(),
            ),
        )
        assert row is not None
        return _message(row)

    async def history(self, conversation_id: int, max_chars: int) -> list[Message]:
        # The messages within budget are a newest-end suffix of the conversation, so read
        # newest first, a page at a time, and stop at the budget: the cost follows the
        # budget, not the length of the conversation.
        kept: list[sqlite3.Row] = []
        spent = 0
        before = _NO_ID_LIMIT
        while True:
            rows = await self._db.fetch_all(
                "SELECT * FROM messages WHERE conversation_id = ? AND id < ?"
                " ORDER BY id DESC LIMIT ?",
                (conversation_id, before, _HISTORY_PAGE),
            )
            for row in rows:
                spent += row["chars"]
                if spent > max_chars:
                    return [_message(r) for r in reversed(kept)]
                kept.append(row)
            if len(rows) < _HISTORY_PAGE:
                return [_message(r) for r in reversed(kept)]
            before = rows[-1]["id"]

    # -- settings ------------------------------------------------------------------------
    async def get_setting(
        self, scope: SettingScope, platform: str, owner_id: str, key: str
    ) -> JsonValue:
        row = await self._db.fetch_one(
            "SELECT value FROM settings"
            " WHERE scope = ? AND platform = ? AND owner_id = ? AND key = ?",
            (scope.value, platform, owner_id, key),
        )
        return load_json(row["value"]) if row is not None else None

    async def set_setting(
        self, scope: SettingScope, platform: str, owner_id: str, key: str, value: JsonValue
    ) -> None:
        await self._db.execute(
            "INSERT INTO settings (scope, platform, owner_id, key, value, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (scope, platform, owner_id, key)"
            " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (scope.value, platform, owner_id, key, dump_json(value), self._clock()),
        )

    async def delete_setting(
        self, scope: SettingScope, platform: str, owner_id: str, key: str
    ) -> bool:
        deleted = await self._db.execute(
            "DELETE FROM settings WHERE scope = ? AND platform = ? AND owner_id = ? AND key = ?",
            (scope.value, platform, owner_id, key),
        )
        return deleted > 0

    async def all_settings(
        self, scope: SettingScope, platform: str, owner_id: str
    ) -> dict[str, JsonValue]:
        rows = await self._db.fetch_all(
            "SELECT key, value FROM settings WHERE scope = ? AND platform = ? AND owner_id = ?"
            " ORDER BY key",
            (scope.value, platform, owner_id),
        )
        return {row["key"]: load_json(row["value"]) for row in rows}

    # -- pending inputs ------------------------------------------------------------------
    async def put_pending(
        self,
        platform: str,
        chat_id: str,
        user_id: str,
        *,
        kind: str,
        payload: JsonValue = None,
        ttl_s: float,
    ) -> PendingInput:
        now = self._clock()
        row = await self._db.fetch_one(
            "INSERT INTO pending_inputs"
            " (platform, chat_id, user_id, kind, payload, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, chat_id, user_id) DO UPDATE SET kind = excluded.kind,"
            " payload = excluded.payload, created_at = excluded.created_at,"
            " expires_at = excluded.expires_at"
            " RETURNING *",
            (platform, chat_id, user_id, kind, dump_json(payload), now, now + ttl_s),
        )
        assert row is not None
        return _pending(row)

    async def get_pending(self, platform: str, chat_id: str, user_id: str) -> PendingInput | None:
        row = await self._db.fetch_one(
            "SELECT * FROM pending_inputs"
            " WHERE platform = ? AND chat_id = ? AND user_id = ? AND expires_at > ?",
            (platform, chat_id, user_id, self._clock()),
        )
        return _pending(row) if row is not None else None

    async def pop_pending(self, platform: str, chat_id: str, user_id: str) -> PendingInput | None:
        # One DELETE ... RETURNING: of two concurrent pops only one sees the row.
        row = await self._db.fetch_one(
            "DELETE FROM pending_inputs WHERE platform = ? AND chat_id = ? AND user_id = ?"
            " RETURNING *",
            (platform, chat_id, user_id),
        )
        if row is None or row["expires_at"] <= self._clock():
            return None
        return _pending(row)

    async def purge_expired_pending(self) -> int:
        return await self._db.execute(
            "DELETE FROM pending_inputs WHERE expires_at <= ?", (self._clock(),)
        )

    # -- usage ledger --------------------------------------------------------------------
    async def record_usage(
        self,
        platform: str,
        user_id: str,
        chat_id: str,
        *,
        kind: str,
        model: str | None = None,
        units: int = 1,
    ) -> None:
        await self._db.execute(
            "INSERT INTO usage (platform, user_id, chat_id, kind, model, units, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (platform, user_id, chat_id, kind, model, units, self._clock()),
        )

    async def usage_summary(
        self, platform: str, user_id: str, *, since: float, until: float | None = None
    ) -> dict[str, UsageTotals]:
        sql = (
            "SELECT kind, COUNT(*) AS count, COALESCE(SUM(units), 0) AS units FROM usage"
            " WHERE platform = ? AND user_id = ? AND created_at >= ?"
        )
        params: list[object] = [platform, user_id, since]
        if until is not None:
            sql += " AND created_at < ?"
            params.append(until)
        rows = await self._db.fetch_all(sql + " GROUP BY kind ORDER BY kind", params)
        return {
            row["kind"]: UsageTotals(kind=row["kind"], count=row["count"], units=row["units"])
            for row in rows
        }


if TYPE_CHECKING:
    # mypy proves here that SqliteStore implements every Store method with a matching signature.
    def _implements_store(store: SqliteStore) -> Store:
        return store
