"""Settings, pending inputs and the usage ledger on PostgreSQL: one small class per part."""

from __future__ import annotations

from bot.store import rows
from bot.store.postgres.db import PgDatabase, now_sql
from bot.store.records import JsonValue, PendingInput, SettingScope, UsageTotals
from bot.store.rows import dump_json, load_json

INSERT_USAGE = (
    "INSERT INTO usage (platform, user_id, chat_id, kind, model, units, created_at)"
    f" VALUES ($1, $2, $3, $4, $5, $6, {now_sql(7)})"
)


class PgSettings:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def get_setting(
        self, scope: SettingScope, platform: str, owner_id: str, key: str
    ) -> JsonValue:
        row = await self._db.fetch_one(
            "SELECT value FROM settings"
            " WHERE scope = $1 AND platform = $2 AND owner_id = $3 AND key = $4",
            (scope.value, platform, owner_id, key),
        )
        return load_json(row["value"]) if row is not None else None

    async def set_setting(
        self, scope: SettingScope, platform: str, owner_id: str, key: str, value: JsonValue
    ) -> None:
        await self._db.execute(
            "INSERT INTO settings (scope, platform, owner_id, key, value, updated_at)"
            f" VALUES ($1, $2, $3, $4, $5, {now_sql(6)})"
            " ON CONFLICT (scope, platform, owner_id, key)"
            " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (scope.value, platform, owner_id, key, dump_json(value), self._db.now()),
        )

    async def delete_setting(
        self, scope: SettingScope, platform: str, owner_id: str, key: str
    ) -> bool:
        deleted = await self._db.execute(
            "DELETE FROM settings"
            " WHERE scope = $1 AND platform = $2 AND owner_id = $3 AND key = $4",
            (scope.value, platform, owner_id, key),
        )
        return deleted > 0

    async def all_settings(
        self, scope: SettingScope, platform: str, owner_id: str
    ) -> dict[str, JsonValue]:
        found = await self._db.fetch_all(
            "SELECT key, value FROM settings"
            " WHERE scope = $1 AND platform = $2 AND owner_id = $3 ORDER BY key",
            (scope.value, platform, owner_id),
        )
        return {row["key"]: load_json(row["value"]) for row in found}


class PgPending:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

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
        row = await self._db.fetch_one(
            "INSERT INTO pending_inputs"
            " (platform, chat_id, user_id, kind, payload, created_at, expires_at)"
            f" VALUES ($1, $2, $3, $4, $5, {now_sql(6)}, {now_sql(6)} + $7)"
            " ON CONFLICT (platform, chat_id, user_id) DO UPDATE SET kind = excluded.kind,"
            " payload = excluded.payload, created_at = excluded.created_at,"
            " expires_at = excluded.expires_at"
            " RETURNING *",
            (platform, chat_id, user_id, kind, dump_json(payload), self._db.now(), ttl_s),
        )
        assert row is not None
        return rows.pending(row)

    async def get_pending(
        self, platform: str, chat_id: str, user_id: str, *, include_expired: bool = False
    ) -> PendingInput | None:
        row = await self._db.fetch_one(
            f"SELECT *, expires_at <= {now_sql(4)} AS stale FROM pending_inputs"
            " WHERE platform = $1 AND chat_id = $2 AND user_id = $3",
            (platform, chat_id, user_id, self._db.now()),
        )
        if row is None or (row["stale"] and not include_expired):
            return None
        return rows.pending(row, expired=bool(row["stale"]))

    async def pop_pending(
        self,
        platform: str,
        chat_id: str,
        user_id: str,
        *,
        include_expired: bool = False,
        only: PendingInput | None = None,
    ) -> PendingInput | None:
        # One DELETE ... RETURNING: of two concurrent pops only one sees the row; the
        # expiry is judged by the same statement, so by the database's clock.
        sql = "DELETE FROM pending_inputs WHERE platform = $1 AND chat_id = $2 AND user_id = $3"
        params: tuple[object, ...] = (platform, chat_id, user_id, self._db.now())
        if only is not None:
            sql += " AND kind = $5 AND created_at = $6 AND expires_at = $7"
            params += (only.kind, only.created_at, only.expires_at)
        row = await self._db.fetch_one(
            sql + f" RETURNING *, expires_at <= {now_sql(4)} AS stale", params
        )
        if row is None or (row["stale"] and not include_expired):
            return None
        return rows.pending(row, expired=bool(row["stale"]))


class PgUsage:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

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
            INSERT_USAGE, (platform, user_id, chat_id, kind, model, units, self._db.now())
        )

    async def usage_summary(
        self, platform: str, user_id: str, *, since: float, until: float | None = None
    ) -> dict[str, UsageTotals]:
        found = await self._db.fetch_all(
            "SELECT kind, COUNT(*) AS count, COALESCE(SUM(units), 0) AS units FROM usage"
            " WHERE platform = $1 AND user_id = $2 AND created_at >= $3"
            " AND ($4::float8 IS NULL OR created_at < $4)"
            " GROUP BY kind ORDER BY kind",
            (platform, user_id, since, until),
        )
        return {
            row["kind"]: UsageTotals(kind=row["kind"], count=row["count"], units=row["units"])
            for row in found
        }
