"""Settings, pending inputs and the usage ledger on SQLite: one small class per part."""

from __future__ import annotations

import sqlite3
from functools import partial

from bot.store import rows
from bot.store.records import JsonValue, PendingInput, SettingScope, UsageTotals
from bot.store.rows import Clock, dump_json, load_json
from bot.store.sqlite.db import Database, fetch_all, fetch_one

INSERT_USAGE = (
    "INSERT INTO usage (platform, user_id, chat_id, kind, model, units, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


# Reads on the connection thread, shared with the event's one-trip read (bot.store.sqlite.events).

def read_setting(
    conn: sqlite3.Connection, scope: SettingScope, platform: str, owner_id: str, key: str
) -> JsonValue:
    row = fetch_one(
        conn,
        "SELECT value FROM settings"
        " WHERE scope = ? AND platform = ? AND owner_id = ? AND key = ?",
        (scope.value, platform, owner_id, key),
    )
    return load_json(row["value"]) if row is not None else None


def read_all_settings(
    conn: sqlite3.Connection, scope: SettingScope, platform: str, owner_id: str
) -> dict[str, JsonValue]:
    found = fetch_all(
        conn,
        "SELECT key, value FROM settings WHERE scope = ? AND platform = ? AND owner_id = ?"
        " ORDER BY key",
        (scope.value, platform, owner_id),
    )
    return {row["key"]: load_json(row["value"]) for row in found}


def read_pending(
    conn: sqlite3.Connection, platform: str, chat_id: str, user_id: str, now: float
) -> PendingInput | None:
    """The pending input, an expired one too (marked ``expired``)."""
    row = fetch_one(
        conn,
        "SELECT * FROM pending_inputs WHERE platform = ? AND chat_id = ? AND user_id = ?",
        (platform, chat_id, user_id),
    )
    return rows.pending(row, expired=row["expires_at"] <= now) if row is not None else None


class SqliteSettings:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get_setting(
        self, scope: SettingScope, platform: str, owner_id: str, key: str
    ) -> JsonValue:
        return await self._db.run(partial(read_setting, scope=scope, platform=platform,
                                          owner_id=owner_id, key=key))

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
        return await self._db.run(partial(read_all_settings, scope=scope, platform=platform,
                                          owner_id=owner_id))


class SqlitePending:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

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
        return rows.pending(row)

    async def get_pending(
        self, platform: str, chat_id: str, user_id: str, *, include_expired: bool = False
    ) -> PendingInput | None:
        found = await self._db.run(partial(read_pending, platform=platform, chat_id=chat_id,
                                           user_id=user_id, now=self._clock()))
        if found is None or (found.expired and not include_expired):
            return None
        return found

    async def pop_pending(
        self,
        platform: str,
        chat_id: str,
        user_id: str,
        *,
        include_expired: bool = False,
        only: PendingInput | None = None,
    ) -> PendingInput | None:
        # One DELETE ... RETURNING: of two concurrent pops only one sees the row.
        sql = "DELETE FROM pending_inputs WHERE platform = ? AND chat_id = ? AND user_id = ?"
        params: tuple[object, ...] = (platform, chat_id, user_id)
        if only is not None:
            sql += " AND kind = ? AND created_at = ? AND expires_at = ?"
            params += (only.kind, only.created_at, only.expires_at)
        row = await self._db.fetch_one(sql + " RETURNING *", params)
        if row is None:
            return None
        expired = row["expires_at"] <= self._clock()
        if expired and not include_expired:
            return None
        return rows.pending(row, expired=expired)


class SqliteUsage:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

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
            INSERT_USAGE, (platform, user_id, chat_id, kind, model, units, self._clock()),
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
        found = await self._db.fetch_all(sql + " GROUP BY kind ORDER BY kind", params)
        return {
            row["kind"]: UsageTotals(kind=row["kind"], count=row["count"], units=row["units"])
            for row in found
        }
