"""The credit ledger and access rules on SQLite (see ``bot.store.community``).

Settling is one ``INSERT ... SELECT`` from the reserve row that a unique index lets land at
most once per hold; the same statement shape works on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from functools import partial

from bot.store.community import (
    AccessRule,
    Admit,
    CreditTotals,
    LedgerDay,
    LedgerEntry,
    OpenHold,
    Settlement,
)
from bot.store.records import ACTIVE_STATES
from bot.store.rows import OPEN_HOLD_SQL, charged_and_reserved, ledger_entry, open_hold
from bot.store.sqlite.db import Database, fetch_all, fetch_one, placeholders

_ACTIVE = tuple(sorted(ACTIVE_STATES))
# As ``count_active_jobs`` (jobs), read with a job's reservation.
_ACTIVE_JOBS = (
    "SELECT COUNT(*) FROM jobs WHERE platform = ? AND user_id = ?"
    f" AND state IN ({placeholders(len(_ACTIVE))})"
)


def _totals(identity: str, day: int, bot_total: bool, conn: sqlite3.Connection,
            jobs_of: tuple[str, str] | None = None) -> CreditTotals:
    """Runs on the connection thread (all six reads in one hand-off, seven with
    ``jobs_of``)."""
    spent: dict[int, float] = {}
    for row in fetch_all(
        conn,
        f"SELECT day, SUM(amount) AS amount FROM credit_ledger WHERE identity = ? AND day <= ?"
        f" AND (kind = 'charge' OR ({OPEN_HOLD_SQL})) GROUP BY day",
        (identity, day),
    ):
        spent[row["day"]] = float(row["amount"])
    charged, reserved = charged_and_reserved(fetch_all(
        conn,
        f"SELECT capability, kind, ({OPEN_HOLD_SQL}) AS is_open, SUM(amount) AS amount"
        " FROM credit_ledger WHERE identity = ? AND day = ?"
        " AND kind IN ('reserve', 'charge') GROUP BY capability, kind, is_open",
        (identity, day),
    ))
    uses: dict[str, int] = {}
    for row in fetch_all(
        conn,
        "SELECT capability, COUNT(*) AS n FROM credit_ledger r WHERE identity = ? AND day = ?"
        " AND (kind = 'reserve' OR (kind = 'charge' AND NOT EXISTS (SELECT 1 FROM credit_ledger"
        " x WHERE x.hold = r.hold AND x.kind = 'reserve')))"
        " AND NOT EXISTS (SELECT 1 FROM credit_ledger f WHERE f.hold = r.hold"
        " AND f.kind = 'refund') GROUP BY capability",
        (identity, day),
    ):
        uses[row["capability"]] = int(row["n"])
    (granted_row,) = fetch_all(
        conn,
        "SELECT COALESCE(SUM(amount), 0) AS g, (SELECT MAX(created_at) FROM credit_ledger"
        " WHERE identity = ? AND kind IN ('reserve', 'charge')) AS last"
        " FROM credit_ledger WHERE identity = ? AND kind = 'grant'",
        (identity, identity),
    )
    bot_spent = 0.0
    if bot_total:  # every entry of the day: its cost grows with the day's traffic
        (bot_row,) = fetch_all(
            conn,
            f"SELECT COALESCE(SUM(amount), 0) AS s FROM credit_ledger WHERE day = ?"
            f" AND (kind = 'charge' OR ({OPEN_HOLD_SQL}))",
            (day,),
        )
        bot_spent = float(bot_row["s"])
    open_holds = {
        row["capability"]: int(row["n"])
        for row in fetch_all(
            conn,
            f"SELECT capability, COUNT(*) AS n FROM credit_ledger WHERE identity = ?"
            f" AND {OPEN_HOLD_SQL} GROUP BY capability",
            (identity,),
        )
    }
    active_jobs = 0
    if jobs_of is not None:
        (jobs_row,) = fetch_all(conn, _ACTIVE_JOBS, (*jobs_of, *_ACTIVE))
        active_jobs = int(jobs_row[0])
    return CreditTotals(day=day, spent_by_day=spent, granted=float(granted_row["g"]),
                        charged=charged, reserved=reserved, uses=uses,
                        last_use_at=granted_row["last"], bot_spent=bot_spent,
                        open_holds=open_holds, active_jobs=active_jobs)


class SqliteLedger:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def credit_totals(self, identity: str, day: int, *, bot_total: bool = True
                            ) -> CreditTotals:
        return await self._db.write(partial(_totals, identity, day, bot_total))

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
        # One hand-off, one write transaction: ``admit`` (a computation, see ``Admit``) runs
        # on the connection thread between reading the totals and inserting the reserve.
        def reserve(conn: sqlite3.Connection) -> tuple[bool, CreditTotals]:
            totals = _totals(identity, day, bot_total, conn, jobs_of=jobs_of)
            if not admit(totals):
                return False, totals
            conn.execute(
                "INSERT INTO credit_ledger (hold, identity, capability, kind, amount, day,"
                " created_at, holder) VALUES (?, ?, ?, 'reserve', ?, ?, ?, ?)",
                (hold, identity, capability, amount, day, at, holder),
            )
            return True, totals

        return await self._db.write(reserve)

    async def attach_hold(self, hold: str, job_id: int) -> None:
        await self._db.execute(
            "UPDATE credit_ledger SET job_id = ? WHERE hold = ? AND kind = 'reserve'",
            (job_id, hold),
        )

    async def settle_hold(self, hold: str, kind: Settlement, *, at: float,
                          amount: float | None = None) -> LedgerEntry | None:
        rows = await self._db.fetch_all(
            "INSERT INTO credit_ledger (hold, identity, capability, kind, amount, job_id, day,"
            " created_at) SELECT hold, identity, capability, ?, COALESCE(?, amount), job_id, day, ?"
            " FROM credit_ledger WHERE hold = ? AND kind = 'reserve'"
            " ON CONFLICT DO NOTHING RETURNING *",
            (kind, amount, at, hold),
        )
        return ledger_entry(rows[0]) if rows else None

    async def charge_credits(
        self, *, hold: str, identity: str, capability: str, amount: float, day: int, at: float
    ) -> bool:
        changed = await self._db.execute(
            "INSERT INTO credit_ledger (hold, identity, capability, kind, amount, day,"
            " created_at) VALUES (?, ?, ?, 'charge', ?, ?, ?) ON CONFLICT DO NOTHING",
            (hold, identity, capability, amount, day, at),
        )
        return changed > 0

    async def grant_credits(self, *, hold: str, identity: str, amount: float, at: float,
                            day: int) -> None:
        await self._db.execute(
            "INSERT INTO credit_ledger (hold, identity, capability, kind, amount, day,"
            " created_at) VALUES (?, ?, '', 'grant', ?, ?, ?)",
            (hold, identity, amount, day, at),
        )

    async def open_holds(self, *, created_before: float | None = None) -> list[OpenHold]:
        sql = f"SELECT * FROM credit_ledger WHERE {OPEN_HOLD_SQL}"
        params: tuple[object, ...] = ()
        if created_before is not None:
            sql += " AND created_at < ?"
            params = (created_before,)
        rows = await self._db.fetch_all(sql + " ORDER BY id", params)
        return [open_hold(row) for row in rows]

    async def ledger_entries(self, identity: str | None = None) -> list[LedgerEntry]:
        if identity is None:
            rows = await self._db.fetch_all("SELECT * FROM credit_ledger ORDER BY id")
        else:
            rows = await self._db.fetch_all(
                "SELECT * FROM credit_ledger WHERE identity = ? ORDER BY id", (identity,)
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
            " FROM credit_ledger l WHERE day BETWEEN ? AND ? AND kind != 'grant'"
            " GROUP BY day, capability, identity ORDER BY day, capability, identity",
            (first_day, last_day),
        )
        return [LedgerDay(day=r["day"], capability=r["capability"], identity=r["identity"],
                          charged=float(r["charged"]), uses=int(r["uses"]),
                          refunds=int(r["refunds"])) for r in rows]



class SqliteAccess:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def set_access_rule(self, identity: str, rule: AccessRule, *, at: float) -> None:
        await self._db.execute(
            "INSERT INTO access_rules (identity, rule, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (identity) DO UPDATE SET rule = excluded.rule,"
            " updated_at = excluded.updated_at",
            (identity, rule, at),
        )

    async def access_rules(self, identities: tuple[str, ...]) -> dict[str, AccessRule]:
        if not identities:
            return {}
        return await self._db.run(partial(read_access_rules, identities=identities))

    async def set_allowance(self, identity: str, daily: float, *, at: float) -> None:
        await self._db.execute(
            "INSERT INTO credit_allowances (identity, daily, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (identity) DO UPDATE SET daily = excluded.daily,"
            " updated_at = excluded.updated_at",
            (identity, daily, at),
        )

    async def allowance(self, identity: str) -> float | None:
        return await self._db.run(partial(read_allowance, identity=identity))


# Reads on the connection thread, shared with the event's one-trip read (bot.store.sqlite.events).

def read_access_rules(
    conn: sqlite3.Connection, identities: tuple[str, ...]
) -> dict[str, AccessRule]:
    if not identities:
        return {}
    found = fetch_all(
        conn,
        f"SELECT identity, rule FROM access_rules WHERE identity IN"
        f" ({placeholders(len(identities))})",
        identities,
    )
    return {row["identity"]: "deny" if row["rule"] == "deny" else "allow" for row in found}


def read_allowance(conn: sqlite3.Connection, identity: str) -> float | None:
    row = fetch_one(conn, "SELECT daily FROM credit_allowances WHERE identity = ?", (identity,))
    return float(row["daily"]) if row is not None else None
