"""The credit ledger and access rules on PostgreSQL (see ``bot.store.community``).

Times and credit days come from the caller (the core's clock), as on SQLite. A reservation
judges the balance and inserts under a transaction-scoped advisory lock on the identity, so
two bot processes reserving for the same user queue up instead of both spending the last
credits. The totals it judges on are one statement (each round trip is a wait on the
network), so a reservation is ``BEGIN``, the lock, the totals, the insert, ``COMMIT``.
Settling is one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` against the unique index,
so it lands at most once per hold whichever process runs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

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


def _totals_sql(bot_total: bool, jobs: bool) -> str:
    """One statement, one row: everything ``CreditTotals`` holds ($1 the identity, $2 the
    day; with ``jobs``, $3-$5 the owner's platform, user and ``_ACTIVE``). Each grouped read
    of the former separate queries is folded into parallel arrays, each ordered by the
    group's key so that their elements pair up; each of those subqueries yields exactly one
    row, so their cross join is one row."""
    # Every entry of the day: its cost grows with the day's traffic, hence only when asked.
    bot_spent = (f"(SELECT COALESCE(SUM(amount), 0) FROM credit_ledger WHERE day = $2"
                 f" AND (kind = 'charge' OR ({OPEN_HOLD_SQL})))" if bot_total else "0")
    # As ``count_active_jobs`` (jobs), read with a job's reservation.
    active_jobs = ("(SELECT COUNT(*) FROM jobs WHERE platform = $3 AND user_id = $4"
                   " AND state = ANY($5::text[]))" if jobs else "0")
    return (
        "SELECT spent.days, spent.amounts AS spent,"
        " today.capabilities AS today_capabilities, today.kinds AS today_kinds,"
        " today.opens AS today_open, today.amounts AS today_amounts,"
        " uses.capabilities AS use_capabilities, uses.counts AS uses,"
        " holds.capabilities AS hold_capabilities, holds.counts AS holds,"
        " (SELECT COALESCE(SUM(amount), 0) FROM credit_ledger WHERE identity = $1"
        " AND kind = 'grant') AS granted,"
        " (SELECT MAX(created_at) FROM credit_ledger WHERE identity = $1"
        " AND kind IN ('reserve', 'charge')) AS last_use_at,"
        f" {bot_spent} AS bot_spent, {active_jobs} AS active_jobs"
        # Spent per day: charges and open holds, today and before.
        " FROM (SELECT array_agg(day ORDER BY day) AS days,"
        " array_agg(amount ORDER BY day) AS amounts FROM"
        " (SELECT day, SUM(amount) AS amount FROM credit_ledger WHERE identity = $1"
        f" AND day <= $2 AND (kind = 'charge' OR ({OPEN_HOLD_SQL})) GROUP BY day) g) spent,"
        # Today's sums for ``charged_and_reserved``.
        " (SELECT array_agg(capability ORDER BY capability, kind, is_open) AS capabilities,"
        " array_agg(kind ORDER BY capability, kind, is_open) AS kinds,"
        " array_agg(is_open ORDER BY capability, kind, is_open) AS opens,"
        " array_agg(amount ORDER BY capability, kind, is_open) AS amounts FROM"
        f" (SELECT capability, kind, ({OPEN_HOLD_SQL}) AS is_open, SUM(amount) AS amount"
        " FROM credit_ledger WHERE identity = $1 AND day = $2"
        " AND kind IN ('reserve', 'charge') GROUP BY capability, kind, is_open) g) today,"
        # Today's uses: reserves and unreserved charges, less the refunded.
        " (SELECT array_agg(capability ORDER BY capability) AS capabilities,"
        " array_agg(n ORDER BY capability) AS counts FROM"
        " (SELECT capability, COUNT(*) AS n FROM credit_ledger r WHERE identity = $1"
        " AND day = $2 AND (kind = 'reserve' OR (kind = 'charge' AND NOT EXISTS"
        " (SELECT 1 FROM credit_ledger x WHERE x.hold = r.hold AND x.kind = 'reserve')))"
        " AND NOT EXISTS (SELECT 1 FROM credit_ledger f WHERE f.hold = r.hold"
        " AND f.kind = 'refund') GROUP BY capability) g) uses,"
        # Open holds per capability, any day.
        " (SELECT array_agg(capability ORDER BY capability) AS capabilities,"
        " array_agg(n ORDER BY capability) AS counts FROM"
        " (SELECT capability, COUNT(*) AS n FROM credit_ledger WHERE identity = $1"
        f" AND {OPEN_HOLD_SQL} GROUP BY capability) g) holds"
    )


_TOTALS_SQL: Final = {(bot_total, jobs): _totals_sql(bot_total, jobs)
                      for bot_total in (False, True) for jobs in (False, True)}


def _pairs(keys: list[Any] | None, values: list[Any] | None) -> list[tuple[Any, Any]]:
    # ``array_agg`` over no rows is NULL, not an empty array.
    return list(zip(keys or [], values or [], strict=True))


async def _totals(conn: Connection, identity: str, day: int, bot_total: bool,
                  jobs_of: tuple[str, str] | None = None) -> CreditTotals:
    params: tuple[object, ...] = (identity, day)
    if jobs_of is not None:
        params += (*jobs_of, _ACTIVE)
    row = await conn.fetchrow(_TOTALS_SQL[bot_total, jobs_of is not None], *params)
    assert row is not None
    charged, reserved = charged_and_reserved(
        {"capability": capability, "kind": kind, "is_open": is_open, "amount": amount}
        for capability, kind, is_open, amount in zip(
            row["today_capabilities"] or [], row["today_kinds"] or [],
            row["today_open"] or [], row["today_amounts"] or [], strict=True)
    )
    return CreditTotals(
        day=day,
        spent_by_day={d: float(amount) for d, amount in _pairs(row["days"], row["spent"])},
        granted=float(row["granted"]), charged=charged, reserved=reserved,
        uses={c: int(n) for c, n in _pairs(row["use_capabilities"], row["uses"])},
        last_use_at=row["last_use_at"], bot_spent=float(row["bot_spent"]),
        open_holds={c: int(n) for c, n in _pairs(row["hold_capabilities"], row["holds"])},
        active_jobs=int(row["active_jobs"]),
    )


class PgLedger:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def credit_totals(self, identity: str, day: int, *, bot_total: bool = True
                            ) -> CreditTotals:
        # One statement sees one snapshot: as consistent as a transaction of several reads.
        async with self._db.connection() as conn:
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
            # The lock is a statement of its own, before the totals: under READ COMMITTED
            # a statement's snapshot is taken when it starts, so totals read in the same
            # statement as the lock could miss a reservation committed while it waited.
            await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                               _LOCK_SPACE, identity)
            totals = await _totals(conn, identity, day, bot_total, jobs_of)
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
