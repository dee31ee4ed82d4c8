"""Credits: balances from the store's ledger, reservations, and settling them exactly once.

A user's credits left today are ``allowance − spent today + extra``, where *spent* counts
charges and still-open reservations, and *extra* is what admins granted minus what earlier
days spent beyond their allowance, never below zero (extra credits never reset; an overdraw
past them is not carried into the next day). A credit day starts at
``[credits] reset_hour_utc``. With ``[credits] enabled = false`` the ledger is still kept
(``/usage`` and ``/admin stats`` work) but nobody is refused.

A reservation is settled by :meth:`Credits.settle` (the dispatcher, for answers given at
once) or :meth:`Credits.job_finished` (the job tracker, when a job reaches its outcome);
both may run any number of times for one hold: the store inserts the first settlement only.
A reservation records the process that made it (its worker id, the ``holder``): a hold
whose job never got a row is refunded (:meth:`Credits.recover` at start,
:meth:`Credits.sweep` periodically) only when its process is gone or it is stale, never
while another process sharing the database is still using it.
Every charge the ledger records goes through :meth:`Credits._settle` or
:meth:`Credits.charge`, which count it in ``relaybot_credits_spent_total`` by capability.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from bot.config import CreditsConfig
from bot.core.workers import replaced_by
from bot.metrics import Metrics
from bot.store.base import OUTCOME_STATES, EventReads, Job, JobState, Store
from bot.store.community import CreditTotals, LedgerEntry, OpenHold, Settlement

log = logging.getLogger(__name__)

DAY_S = 86_400
HOLD_KEY = "credit_hold"  # where a job's request records the reservation it settles
_SETTLED_STATES = OUTCOME_STATES | {JobState.DELIVERING, JobState.DELIVERED}
# A jobless hold lives for one use: the relay call before its job gets a row, or the answer
# it pays for. One relay call lasts at most ``[relay] timeout_s`` (an hour at most), so a
# hold still open and jobless twice that long after it was made belongs to a process that
# died, wherever it ran (another host's pid cannot be looked up from here).
STALE_HOLD_S: Final = 2 * 3600.0
# How often the job poller looks for abandoned holds (bot.jobs.tracker runs it).
SWEEP_EVERY_S: Final = 300.0


def new_hold() -> str:
    return secrets.token_hex(8)


def credit_day(now: float, reset_hour_utc: int) -> int:
    return math.floor((now - reset_hour_utc * 3600) / DAY_S)


def day_start(day: int, reset_hour_utc: int) -> float:
    return float(day * DAY_S + reset_hour_utc * 3600)


def amount_text(value: float) -> str:
    """Credits as people write them: ``8``, ``0.25``, ``-1.5``."""
    rounded = round(value, 2)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.2f}".rstrip("0")


@dataclass(frozen=True, slots=True)
class Balance:
    allowance: float
    extra: float  # granted credits still unspent (after today's overflow)
    charged: float  # today
    reserved: float  # today, by jobs still running
    left: float  # may be below zero by at most one chat answer
    resets_at: float
    totals: CreditTotals

    @property
    def spent(self) -> float:
        return self.charged + self.reserved


def balance_of(totals: CreditTotals, allowance: float, reset_hour_utc: int) -> Balance:
    today = totals.day
    overflow_before = sum(
        max(0.0, spent - allowance) for day, spent in totals.spent_by_day.items() if day < today
    )
    spent_today = totals.spent_by_day.get(today, 0.0)
    # What went past the allowance on earlier days came out of the granted credits; beyond
    # them it is forgotten at the reset (one answer's overdraw must not be owed every day).
    extra_before = max(0.0, totals.granted - overflow_before)
    left = allowance - spent_today + extra_before
    extra = max(0.0, extra_before - max(0.0, spent_today - allowance))
    return Balance(
        allowance=allowance,
        extra=extra,
        charged=sum(totals.charged.values()),
        reserved=sum(totals.reserved.values()),
        left=left,
        resets_at=day_start(today + 1, reset_hour_utc),
        totals=totals,
    )


@dataclass(slots=True)
class Hold:
    """A reservation made for one command or button press."""

    hold: str
    identity: str
    capability: str
    amount: float


@dataclass(slots=True)
class Bill:
    """What a handler's work costs, filled in while it runs (one per event).

    ``hold`` is the reservation made before the handler; a handler that starts a tracked
    job records it on the job (``job_id``). Handlers whose price depends on the answer
    (tokens, minutes) report ``units`` per cost key; the dispatcher charges them after."""

    hold: Hold | None = None
    job_id: int | None = None
    units: dict[str, float] = field(default_factory=dict)

    def add_units(self, cost: str, units: float) -> None:
        """``units`` of ``cost`` (tokens for ``chat_1k_tokens``, minutes for
        ``transcription_minute``...)."""
        usable = units if math.isfinite(units) else 0.0
        self.units[cost] = self.units.get(cost, 0.0) + max(0.0, usable)


def estimated_tokens(*texts: str) -> int:
    """What a relay that sent no ``usage`` is charged for: about 4 characters a token."""
    return max(1, math.ceil(sum(len(text) for text in texts) / 4))


# More than any model's context window: a relay reporting more is not believed further.
MAX_REPORTED_TOKENS = 2_000_000


def charged_tokens(reported: int | None, *texts: str) -> int:
    """The tokens an answer is charged for: the relay's ``usage`` when it is plausible
    (at most ``MAX_REPORTED_TOKENS``), the estimate from the texts when absent, zero or
    negative (a free answer would otherwise be one bad number away)."""
    if reported is None or reported <= 0:
        return estimated_tokens(*texts)
    return min(reported, MAX_REPORTED_TOKENS)


# A transcription without a plausible duration is charged by size at about 16 kB/s; no file
# plays longer than at 4 kbit/s, below Opus' lowest speech bitrate.
_AUDIO_BYTES_PER_SECOND = 16_000
_LOWEST_AUDIO_BYTES_PER_SECOND = 500


def charged_audio_seconds(reported: float | None, size: int) -> float:
    """The seconds a transcription is charged for: Whisper's ``duration`` when the relay
    gives a plausible one, else a guess from the size (~16 kB/s). No file of ``size``
    bytes plays longer than at the lowest bitrate speech is sent at, so a larger
    (or negative, infinite, NaN) duration is not believed."""
    longest = size / _LOWEST_AUDIO_BYTES_PER_SECOND
    if reported is None or not math.isfinite(reported) or reported <= 0:
        return min(size / _AUDIO_BYTES_PER_SECOND, longest)
    return min(reported, longest)


def metered_amount(config: CreditsConfig, units: dict[str, float]) -> float:
    return sum(
        config.price(cost) * count / (1000.0 if "_1k_" in cost else 1.0)
        for cost, count in units.items()
    )


class Credits:
    """Stateless over the store: any number of instances (and processes) agree."""

    def __init__(
        self,
        config: CreditsConfig,
        store: Store,
        clock: Callable[[], float],
        metrics: Metrics | None = None,
        *,
        holder: str = "",
    ) -> None:
        """``metrics``: the App's counters, where charges are counted (None: not counted,
        for code that only reads balances or grants). ``holder``: this process's worker
        id (:func:`bot.runtime.process_identity`), recorded on its reservations; code that
        never reserves leaves it empty."""
        self.config = config
        self._store = store
        self._clock = clock
        self._metrics = metrics
        self._holder = holder

    @property
    def _bot_capped(self) -> bool:
        """Whether refusals look at the whole bot's spending (summing it reads the day)."""
        return self.config.enabled and self.config.bot_daily > 0

    def today(self) -> int:
        return credit_day(self._clock(), self.config.reset_hour_utc)

    def reset_time_text(self) -> str:
        return f"{self.config.reset_hour_utc:02d}:00"

    async def allowance(self, who: str, reads: EventReads | None = None) -> float:
        """``reads``: the event's reads (:mod:`bot.core.prefetch`), used when they hold
        ``who``'s stored allowance."""
        if reads is not None and reads.query.allowance_of == who:
            stored = reads.allowance
        else:
            stored = await self._store.allowance(who)
        return self.config.daily if stored is None else stored

    async def balance(self, who: str) -> Balance:
        totals = await self._store.credit_totals(who, self.today(), bot_total=self._bot_capped)
        return balance_of(totals, await self.allowance(who), self.config.reset_hour_utc)

    async def reserve(
        self, who: str, capability: str, amount: float,
        refuse: Callable[[Balance], bool], *, reads: EventReads | None = None,
        jobs_of: tuple[str, str] | None = None,
    ) -> tuple[Hold | None, Balance]:
        """Reserve ``amount`` unless ``refuse(balance)``; returns the hold (None when refused)
        and the balance it was judged on. ``reads`` as in :meth:`allowance`; ``jobs_of`` as
        in ``LedgerStore.reserve_credits`` (``balance.totals.active_jobs``)."""
        allowance = await self.allowance(who, reads)
        judged: list[Balance] = []

        def admit(totals: CreditTotals) -> bool:
            judged.append(balance_of(totals, allowance, self.config.reset_hour_utc))
            return not refuse(judged[-1])

        hold = Hold(new_hold(), who, capability, amount)
        inserted, _ = await self._store.reserve_credits(
            hold=hold.hold, identity=who, capability=capability, amount=amount,
            day=self.today(), at=self._clock(), admit=admit, bot_total=self._bot_capped,
            holder=self._holder, jobs_of=jobs_of,
        )
        return (hold if inserted else None), judged[-1]

    async def settle(self, hold: Hold, *, succeeded: bool, amount: float | None = None) -> bool:
        """Charge (``amount`` instead of the reserved one when given) or refund ``hold``."""
        kind: Settlement = "charge" if succeeded else "refund"
        done = await self._settle(hold.hold, kind, amount=amount)
        if done:
            log.debug("credits: %s of %s for %s (%s)", kind,
                      hold.amount if amount is None else amount, hold.identity, hold.capability)
        return done

    async def charge(self, who: str, capability: str, amount: float) -> None:
        if await self._store.charge_credits(
            hold=new_hold(), identity=who, capability=capability, amount=amount,
            day=self.today(), at=self._clock(),
        ):
            self._count_charge(capability, amount)

    async def grant(self, who: str, amount: float) -> None:
        await self._store.grant_credits(hold=new_hold(), identity=who, amount=amount,
                                        at=self._clock(), day=self.today())

    # -- the job tracker's hook (bot.jobs.tracker.JobOutcomeHook) ------------------------

    async def job_finished(self, job: Job) -> None:
        """Charge a succeeded job's reservation, refund any other outcome (idempotent)."""
        hold = _hold_of(job)
        outcome = job.outcome or job.state
        if hold is None or outcome not in OUTCOME_STATES:
            return
        kind: Settlement = "charge" if outcome is JobState.SUCCEEDED else "refund"
        await self._settle(hold, kind)

    async def recover(self, started_at: float) -> int:
        """At start: refund the abandoned reservations whose job never got a row (their
        process died between reserving and tracking, see :meth:`_abandoned`), and settle
        those whose job finished meanwhile. Returns how many were settled."""
        settled = 0
        for open_hold in await self._store.open_holds(created_before=started_at):
            job = (await self._store.get_job(open_hold.job_id)
                   if open_hold.job_id is not None else None)
            kind: Settlement
            if job is None:
                if open_hold.job_id is None and not self._abandoned(open_hold, started_at):
                    continue  # another live process is using it: it settles it
                kind = "refund"
            elif job.state in _SETTLED_STATES and job.outcome is not None:
                kind = "charge" if job.outcome is JobState.SUCCEEDED else "refund"
            else:
                continue  # still running: the tracker settles it
            if await self._settle(open_hold.hold, kind):
                settled += 1
        if settled:
            log.info("credits: settled %d reservation(s) left open by the last run", settled)
        return settled

    async def sweep(self) -> int:
        """Refund the abandoned reservations that never got a job (:meth:`_abandoned`),
        whenever they were made: a process on another host that died and never restarts
        would otherwise keep its holds counted against users' balances for good. The job
        poller runs it (:class:`HoldSweep`). Returns how many were refunded."""
        now = self._clock()
        refunded = 0
        for open_hold in await self._store.open_holds(created_before=now):
            if open_hold.job_id is None and self._abandoned(open_hold, now):
                refunded += await self._settle(open_hold.hold, "refund")
        if refunded:
            log.info("credits: refunded %d reservation(s) of processes that are gone",
                     refunded)
        return refunded

    def _abandoned(self, open_hold: OpenHold, now: float) -> bool:
        """Whether a jobless hold's use is over for good: it is stale, its holder is
        unknown (made before holders were recorded), or its holder had this process's
        name and is no longer running on this host (the rule of the tracker's
        take-over, :func:`bot.core.workers.replaced_by`). Holds of live processes stay."""
        if now - open_hold.created_at >= STALE_HOLD_S or not open_hold.holder:
            return True
        return bool(self._holder) and replaced_by(open_hold.holder, self._holder, named=False)

    async def _settle(self, hold: str, kind: Settlement, *, amount: float | None = None) -> bool:
        """Write the settlement (at most once per hold, whoever calls) and count a charge
        only when this call wrote it, so a retried settlement is never counted twice."""
        entry: LedgerEntry | None = await self._store.settle_hold(hold, kind, at=self._clock(),
                                                                  amount=amount)
        if entry is not None and entry.kind == "charge":
            self._count_charge(entry.capability, entry.amount)
        return entry is not None

    def _count_charge(self, capability: str, amount: float) -> None:
        if self._metrics is not None:
            self._metrics.credits_spent.labels(capability).inc(max(0.0, amount))


class HoldSweep:
    """:meth:`Credits.sweep` at most once every ``SWEEP_EVERY_S``: the job tracker calls it
    on every tick it polls (one process at a time holds the poll lease)."""

    def __init__(self, credits: Credits, clock: Callable[[], float],
                 every_s: float = SWEEP_EVERY_S) -> None:
        self._credits = credits
        self._clock = clock
        self._every_s = every_s
        self._last_at = -math.inf

    async def __call__(self) -> None:
        now = self._clock()
        if now - self._last_at < self._every_s:
            return
        self._last_at = now
        await self._credits.sweep()


def _hold_of(job: Job) -> str | None:
    request = job.request
    value = request.get(HOLD_KEY) if isinstance(request, dict) else None
    return value if isinstance(value, str) and value else None
