"""The parts of the store that open a bot to a community: the credit ledger and access rules.

The ledger is a list of entries, never updated in place; balances are computed from it.
Every use of a paid feature is a *hold* (a random id): one ``reserve`` entry before the relay
is called, then exactly one ``charge`` or ``refund`` entry for the same hold. A backend
enforces "at most one reserve and at most one settlement per hold" with unique constraints, so
settling twice (two workers, a restart, a retry) inserts nothing the second time. Chat-like
uses are charged after the answer without a reserve (a ``charge`` with its own hold).
``grant`` entries are extra credits an admin gave; they do not reset.

Days are whole "credit days" counted by the caller (they start at the configured reset hour);
every entry carries the day its hold was opened, so a refund lands on the day it was reserved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

LedgerKind = Literal["reserve", "charge", "refund", "grant"]
Settlement = Literal["charge", "refund"]
AccessRule = Literal["allow", "deny"]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    hold: str
    identity: str  # "<platform>:<user id>"
    capability: str
    kind: LedgerKind
    amount: float
    job_id: int | None
    day: int
    created_at: float


@dataclass(frozen=True, slots=True)
class OpenHold:
    """A reservation that has been neither charged nor refunded."""

    hold: str
    identity: str
    capability: str
    amount: float
    job_id: int | None
    day: int
    created_at: float
    holder: str = ""  # the worker id of the process that reserved it ('': unknown)


@dataclass(frozen=True, slots=True)
class CreditTotals:
    """One identity's ledger as of ``day``, what balances are computed from."""

    day: int
    spent_by_day: Mapping[int, float] = field(default_factory=dict)  # charges + open holds
    granted: float = 0.0
    charged: Mapping[str, float] = field(default_factory=dict)  # today, per capability
    reserved: Mapping[str, float] = field(default_factory=dict)  # today's open holds
    uses: Mapping[str, int] = field(default_factory=dict)  # today, per capability
    last_use_at: float | None = None  # the newest reserve or charge, any day
    bot_spent: float = 0.0  # today, every identity together (0 unless asked: ``bot_total``)
    open_holds: Mapping[str, int] = field(default_factory=dict)  # per capability, any day
    active_jobs: int = 0  # the owner's jobs in ACTIVE_STATES (0 unless asked: ``jobs_of``)


@dataclass(frozen=True, slots=True)
class LedgerDay:
    """``/admin stats``: one (day, capability, identity) group of settled or open uses."""

    day: int
    capability: str
    identity: str
    charged: float
    uses: int
    refunds: int


Admit = Callable[[CreditTotals], bool]
"""Whether a reservation may go ahead on these totals. A computation only (no I/O, no
awaiting, nothing bound to the event loop): a store may call it on its own thread, inside
the reservation's write transaction (SQLite does, to reserve in one hand-off)."""


class LedgerStore(Protocol):
    async def credit_totals(self, identity: str, day: int, *, bot_total: bool = True
                            ) -> CreditTotals:
        """``bot_total``: also sum the whole bot's spending today (``bot_spent``), which
        reads every entry of the day; a bot without a bot-wide cap leaves it out."""

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
        """Insert the reserve entry if ``admit(totals)`` is true for the totals read in the
        same write transaction (so two racing reserves cannot both spend the last credits).
        Returns whether it was inserted and the totals it was judged on. ``bot_total`` as
        in :meth:`credit_totals`; ``holder`` is the reserving process's worker id;
        ``jobs_of`` (platform, user id): the totals count that owner's active jobs too
        (``active_jobs``), read with them (a paid job's running-jobs limit)."""

    async def attach_hold(self, hold: str, job_id: int) -> None:
        """Record the job a reservation paid for (the job row records the hold as well)."""

    async def settle_hold(self, hold: str, kind: Settlement, *, at: float,
                          amount: float | None = None) -> LedgerEntry | None:
        """Charge or refund the whole reserved amount (or ``amount``: a metered answer's
        charge replacing its reservation); the entry written if this call did it, None when
        the hold was settled already (by anyone) or was never reserved."""

    async def charge_credits(
        self, *, hold: str, identity: str, capability: str, amount: float, day: int, at: float
    ) -> bool:
        """A charge without a reservation (chat answers, by their usage). False if ``hold``
        was charged already."""

    async def grant_credits(self, *, hold: str, identity: str, amount: float, at: float,
                            day: int) -> None: ...

    async def open_holds(self, *, created_before: float | None = None) -> list[OpenHold]:
        """Reservations with no charge or refund, oldest first."""

    async def ledger_entries(self, identity: str | None = None) -> list[LedgerEntry]:
        """Every entry (of one identity), in the order written."""

    async def ledger_days(self, first_day: int, last_day: int) -> list[LedgerDay]:
        """Per (day, capability, identity) between the two days, both included."""


class AccessStore(Protocol):
    """Admin decisions (``/admin allow|deny|allowance``); they win over the config lists."""

    async def set_access_rule(self, identity: str, rule: AccessRule, *, at: float) -> None: ...

    async def access_rules(self, identities: tuple[str, ...]) -> dict[str, AccessRule]:
        """The stored rules among ``identities``."""

    async def set_allowance(self, identity: str, daily: float, *, at: float) -> None: ...

    async def allowance(self, identity: str) -> float | None:
        """The stored daily allowance, or None when the config's applies."""
