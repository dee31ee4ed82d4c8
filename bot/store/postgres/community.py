"""The credit ledger and access rules on PostgreSQL (see ``bot.store.community``).

Times and credit days come from the caller (the core's clock), as on SQLite. A reservation
judges the balance and inserts under a transaction-scoped advisory lock on the identity, so
two bot processes reserving for the same user queue up instead of both spending the last
credits; settling is one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` against the unique
index, so it lands at most once per hold whichever process runs it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Final

from bot.store.community import (
    AccessRule,
    Admit,
    CreditTotals,
    LedgerDay,
    LedgerEntry,
    OpenHold,
    Settlement,
)
from bot.store.postgres.db import PgDatabase
from bot.store.records import ACTIVE_STATES
from bot.store.rows import OPEN_HOLD_SQL, charged_and_reserved, ledger_entry, open_hold

if TYPE_CHECKING:
    from bot.store.postgres.migrations import Connection

# A 32-bit namespace for the advisory locks of reservations (the key is the identity's hash).
_LOCK_SPACE: Final = 0x52424352
_ACTIVE: Final = sorted(ACTIVE_STATES)
# As ``count_active_jobs`` (jobs), read with a job's reservation.
_ACTIVE_JOBS: Final = (
    "SELECT COUNT(*) FROM jobs WHERE platform = $1 AND user_id = $2 AND state = ANY($3::text[])"
)


async def _totals(conn: Connection, identity: str, day: int, bot_total: bool) -> CreditTotals:
    spent = {
        row["day"]: float(row["amount"])
        for row in await conn.fetch(
            f"SELECT day, SUM(amount) AS amount FROM credit_ledger WHERE identity = $1"
            f" AND day <= $2 AND (kind = 'charge' OR ({OPEN_HOLD_SQL})) GROUP BY day",
            identity, day,
        )
    }
    charged, reserved = charged_and_reserved(await conn.fetch(
        f"SELECT capability, kind, ({OPEN_HOLD_SQL}) AS is_open, SUM(amount) AS amount"
        " FROM credit_ledger WHERE identity = $1 AND day = $2"
        " AND kind IN ('reserve', 'charge') GROUP BY capability, kind, is_open",
        identity, day,
    ))
    uses = {
        row["capability"]: int(row["n"])
        for row in await conn.fetch(
            "SELECT capability, COUNT(*) AS n FROM credit_ledger r WHERE identity = $1"
            " AND day = $2 AND (kind = 'reserve' OR (kind = 'charge' AND NOT EXISTS"
            " (SELECT 1 FROM credit_ledger x WHERE x.hold = r.hold AND x.kind = 'reserve')))"
            " AND NOT EXISTS (SELECT 1 FROM credit_ledger f WHERE f.hold = r.hold"
            " AND f.kind = 'refund') GROUP BY capability",
            identity, day,
        )
    }
    granted = await conn.fetchrow(
        "SELECT COALESCE(SUM(amount), 0) AS g, (SELECT MAX(created_at) FROM credit_ledger"
        " WHERE identity = $1 AND kind IN ('reserve', 'charge')) AS last"
        " FROM credit_ledger WHERE identity = $1 AND kind = 'grant'",
        identity,
    )
    bot_spent = 0.0
    if bot_total:  # every entry of the day: its cost grows with the day's traffic
        bot_spent = await conn.fetchval(
            f"SELECT COALESCE(SUM(amount), 0) FROM credit_ledger WHERE day = $1"
            f" AND (kind = 'charge' OR ({OPEN_HOLD_SQL}))",
            day,
        )
    open_holds = {
        row["capability"]: int(row["n"])
        for row in await conn.fetch(
            f"SELECT capability, COUNT(*) AS n FROM credit_ledger WHERE identity = $1"
            f" AND {OPEN_HOLD_SQL} GROUP BY capability",
            identity,
        )
    }
    assert granted is not None
    return CreditTotals(day=day, spent_by_day=spent, granted=float(granted["g"]),
                        charged=charged, reserved=reserved, uses=uses,
                        last_use_at=granted["last"], bot_spent=float(bot_spent),
                        open_holds=open_holds)


class PgLedger:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def credit_totals(self, identity: str, day: int, *, bot_total: bool = True
                            ) -> CreditTotals:
        async with self._db.transaction() as conn:
            return await _totals(conn, identity, day, bot_total)

    async def reserve_credits(
        self,
        *,
        hold: str,
        identity: str,
        capability: str,
        amount: float,
        day: int,
        at: float,
        admit: Admit,
        bot_total: bool = True,
        holder: str = "",
        jobs_of: tuple[str, str] | None = None,
    ) -> tuple[bool, CreditTotals]:
        async with self._db.transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                               _LOCK_SPACE, identity)
            totals = await _totals(conn, identity, day, bot_total)
            if jobs_of is not None:
                active = await conn.fetchval(_ACTIVE_JOBS, *jobs_of, _ACTIVE)
                totals = replace(totals, active_jobs=int(active))
            if not admit(totals):
                return False, totals
            await conn.execute(
                "INSERT INTO credit_ledger (hold, identity, capability, kind, amount, day,"
                " created_at, holder) VALUES ($1, $2, $3, 'reserve', $4, $5, $6, $7)",
                hold, identity, capability, amount, day, at, holder,
            )
            return True, totals

    async def attach_hold(self, hold: str, job_id: int) -> None:
        await self._db.execute(
            "UPDATE credit_ledger SET job_id = $1 WHERE hold = $2 AND kind = 'reserve'",
            (job_id, hold),
        )

    async def settle_hold(self, hold: str, kind: Settlement, *, at: float,
                          amount: float | None = None) -> LedgerEntry | None:
        rows = await self._db.fetch_all(
            "INSERT INTO credit_ledger (hold, identity, capability, kind, amount, job_id, day,"
            " created_at) SELECT hold, identity, capability, $1,"
            " COALESCE($4::double precision, amount), job_id, day, $2"
            " FROM credit_ledger WHERE hold = $3 AND kind = 'reserve'"
            " ON CONFLICT DO NOTHING RETURNING *",
            (kind, at, hold, amount),
        )
        return ledger_entry(rows[0]) if rows else None

    async def charge_credits(
        self, *, hold: str, identity: str, capability: str, amount: float, day: int, at: float
    ) -> bool:
        changed = await self._db.execute(
            "INSERT INTO credit_ledger (hold, identity, capability, kind, amount, day,"
            " created_at) VALUES ($1, $2, $3, 'charge', $4, $5, $6) ON CONFLICT DO NOTHING",
            (hold, identity, capability, amount, day, at),
        )
        return changed > 0

    async def grant_credits(self, *, hold: str, identity: str, amount: float, at: float,
                            day: int) -> None:
        await self._db.execute(
            "INSERT INTO credit_ledger (hold, identity, capability, kind, amount, day,"
            " created_at) VALUES ($1, $2, '', 'grant', $3, $4, $5)",
            (hold, identity, amount, day, at),
        )

    async def open_holds(self, *, created_before: float | None = None) -> list[OpenHold]:
        rows = await self._db.fetch_all(
            f"SELECT * FROM credit_ledger WHERE {OPEN_HOLD_SQL}"
            " AND ($1::float8 IS NULL OR created_at < $1::float8) ORDER BY id",
            (created_before,),
        )
        return [open_hold(row) for row in rows]

    async def ledger_entries(self, identity: str | None = None) -> list[LedgerEntry]:
        rows = await self._db.fetch_all(
            "SELECT * FROM credit_ledger WHERE ($1::text IS NULL OR identity = $1::text)"
            " ORDER BY id",
            (identity,),
        )
        return [ledger_entry(row) for row in rows]

    async def ledger_days(self, first_day: int, last_day: int) -> list[LedgerDay]:
        rows = await self._db.fetch_all(
            "SELECT day, capability, identity,"
            " SUM(CASE WHEN kind = 'charge' THEN amount ELSE 0 END) AS charged,"
            " SUM(CASE WHEN kind = 'reserve' OR (kind = 'charge' AND NOT EXISTS (SELECT 1"
            " FROM credit_ledger x WHERE x.hold = l.hold AND x.kind = 'reserve'))"
            " THEN 1 ELSE 0 END) AS uses,"
            " SUM(CASE WHEN kind = 'refund' THEN 1 ELSE 0 END) AS refunds"
            " FROM credit_ledger l WHERE day BETWEEN $1 AND $2 AND kind != 'grant'"
            " GROUP BY day, capability, identity ORDER BY day, capability, identity",
            (first_day, last_day),
        )
        return [LedgerDay(day=r["day"], capability=r["capability"], identity=r["identity"],
                          charged=float(r["charged"]), uses=int(r["uses"]),
                          refunds=int(r["refunds"])) for r in rows]


class PgAccess:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def set_access_rule(self, identity: str, rule: AccessRule, *, at: float) -> None:
        await self._db.execute(
            "INSERT INTO access_rules (identity, rule, updated_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (identity) DO UPDATE SET rule = excluded.rule,"
            " updated_at = excluded.updated_at",
            (identity, rule, at),
        )

    async def access_rules(self, identities: tuple[str, ...]) -> dict[str, AccessRule]:
        rows = await self._db.fetch_all(
            "SELECT identity, rule FROM access_rules WHERE identity = ANY($1::text[])",
            (list(identities),),
        )
        return {row["identity"]: "deny" if row["rule"] == "deny" else "allow" for row in rows}

    async def set_allowance(self, identity: str, daily: float, *, at: float) -> None:
        await self._db.execute(
            "INSERT INTO credit_allowances (identity, daily, updated_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (identity) DO UPDATE SET daily = excluded.daily,"
            " updated_at = excluded.updated_at",
            (identity, daily, at),
        )

    async def allowance(self, identity: str) -> float | None:
        row = await self._db.fetch_one(
            "SELECT daily FROM credit_allowances WHERE identity = $1", (identity,)
        )
        return float(row["daily"]) if row is not None else None
