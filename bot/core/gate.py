"""The one gate every command, message and button passes before its handler runs.

The dispatcher asks :meth:`Gate.admit` with what the command declares (its capability,
price, admin flag); a refusal is a :class:`~bot.core.errors.UserError` (one short message,
nothing sent to the relay). Admitted paid work holds a reservation on the context's
:class:`~bot.core.credits.Bill`; :meth:`Gate.finish` settles it after the handler:

* the handler failed (the relay refused, bad input found late...): refund;
* it started a tracked job (``Bill.job_id``): the job tracker settles it at the outcome;
* a ``job`` price but no job was started (a question was cancelled): refund;
* otherwise the answer was given: charge. Metered prices (tokens, minutes) charge the
  units the handler reported.

A metered use that nothing could refuse (credits off, no cooldown) holds nothing before
the handler: the ledger is then only statistics, so the answer does not wait for a write
transaction, and what it used is charged after it, once (a crash in between leaves it
uncharged, as the refund of its hold at the next start would have).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from bot.config import AppConfig
from bot.core.access import AccessPolicy, access_identities, user_identity
from bot.core.credits import Balance, Bill, Credits, amount_text, metered_amount
from bot.core.errors import CatalogueWord, UserError
from bot.core.models import ChatRef, OptionValue, UserRef
from bot.metrics import Metrics
from bot.store.base import EventReads, Store

log = logging.getLogger(__name__)

PricePer = Literal["use", "1k_chars", "answer"]
# What ``[limits] concurrent_jobs`` counts: Midjourney, Suno and Luma jobs.
JOB_CAPABILITIES: Final = frozenset({"midjourney", "music", "video"})


@dataclass(frozen=True, slots=True)
class Price:
    """What one use costs: a ``[credits.cost]`` key and how it is counted.

    ``use``: the key's price, reserved before; ``1k_chars``: per 1000 characters of the
    ``option``, reserved before; ``answer``: charged after the answer for the units the
    handler reported on its bill (tokens, minutes; a key with ``_1k_`` is per 1000), so
    the user is only refused when nothing is left. ``job``: success is a tracked job
    (Midjourney, Suno, Luma), settled when it finishes."""

    cost: str
    per: PricePer = "use"
    option: str = ""
    job: bool = False

    @property
    def metered(self) -> bool:
        return self.per == "answer"


@dataclass(frozen=True, slots=True)
class Guard:
    """What a command, message route or button route declares to the gate."""

    label: str  # how refusals name it: "/imagine", a button's label
    capability: str | None = None
    price: Price | None = None
    admin: bool = False
    # Judge ``[limits] concurrent_jobs`` again inside the reservation, counting the jobs
    # being submitted at this moment (commands; presses, whose one-press claim is taken
    # before the reservation). Answers are not: an answer claims its button only in its
    # handler, and a repeat must reach that claim.
    count_submitting: bool = False


class Gate:
    def __init__(self, config: AppConfig, store: Store, clock: Callable[[], float],
                 metrics: Metrics, *, holder: str) -> None:
        """``holder``: this process's worker id, recorded on the reservations it makes."""
        self._config = config
        self._store = store
        self._clock = clock
        self.access = AccessPolicy(config.access, store)
        self.credits = Credits(config.credits, store, clock, metrics, holder=holder)

    async def admit(
        self,
        guard: Guard,
        user: UserRef,
        chat: ChatRef,
        roles: tuple[str, ...],
        options: Mapping[str, OptionValue],
        bill: Bill,
    ) -> None:
        """Raise ``UserError`` when the user may not go on; otherwise reserve the price on
        ``bill``."""
        await self.check_access(guard, user, chat, roles)
        await self.reserve(guard, user, chat, options, bill)

    async def check_access(
        self, guard: Guard, user: UserRef, chat: ChatRef, roles: tuple[str, ...],
        reads: EventReads | None = None,
    ) -> None:
        """The first half of :meth:`admit`: raise ``UserError`` when the access rules
        refuse the user here (admins only, denied, not allowed this capability).
        ``reads``: the event's reads (:mod:`bot.core.prefetch`), used when they hold the
        rules this check needs; otherwise the rules are read here."""
        if guard.admin and not self.access.is_admin(user, chat):
            raise UserError("access.admin_only", command=guard.label)
        rules = (reads.access_rules
                 if reads is not None and reads.query.identities == access_identities(user, chat)
                 else None)
        refusal = await self.access.check(user, chat, roles, guard.capability, read=rules)
        if refusal is not None:
            if refusal.capability is not None:
                word = CatalogueWord(f"capability.{refusal.capability}")
                raise UserError(refusal.key, capability=word)
            raise UserError(refusal.key)

    async def reserve(
        self,
        guard: Guard,
        user: UserRef,
        chat: ChatRef,
        options: Mapping[str, OptionValue],
        bill: Bill,
        reads: EventReads | None = None,
    ) -> None:
        """The second half of :meth:`admit`: the limits, then the price reserved on
        ``bill``; raise ``UserError`` when they refuse (nothing reserved then). ``reads``
        as in :meth:`check_access` (for the stored allowance)."""
        price = guard.price
        if price is None:
            return
        # A job's reservation counts the user's running jobs in its own transaction (one
        # trip fewer); a metered price, which may reserve nothing, counts them on its own.
        if price.job and price.metered:
            await self._check_running_jobs(user, chat)
        who = user_identity(user, chat)
        capability = guard.capability or price.cost
        amount = self._amount(price, options)
        if price.metered:
            if self._never_refuses():
                # Nothing can refuse it, so no answer needs to wait for the ledger: what it
                # used is charged after it (``finish``, from ``bill.units``), once.
                return
            # One unit (1k tokens, a minute) is held while the answer runs, so answers sent
            # at once cannot all pass a balance that only has room for the first one.
            amount = self._config.credits.price(price.cost)
            hold, balance = await self.credits.reserve(
                who, capability, amount, lambda b: self._metered_refusal(b) is not None,
                reads=reads,
            )
            if hold is None:
                refusal_error = self._metered_refusal(balance)
                assert refusal_error is not None
                raise refusal_error
            bill.hold = hold
            return
        job = price.job and guard.count_submitting
        limit = self._config.limits.concurrent_jobs
        jobs_of = (chat.platform, user.id) if price.job and limit > 0 else None

        def refused(balance: Balance) -> UserError | None:
            active = self._active_refusal(balance) if jobs_of is not None else None
            running = self._running_refusal(balance) if job else None
            return active or running or self._refusal(balance, amount)

        hold, balance = await self.credits.reserve(
            who, capability, amount, lambda b: refused(b) is not None, reads=reads,
            jobs_of=jobs_of,
        )
        if hold is None:
            refusal_error = refused(balance)
            assert refusal_error is not None
            if refusal_error.key == "credits.not_enough":
                refusal_error.fmt["command"] = guard.label
            raise refusal_error
        bill.hold = hold

    async def finish(self, guard: Guard, user: UserRef, chat: ChatRef, bill: Bill,
                     *, failed: bool) -> None:
        """Settle what :meth:`admit` reserved (see the module's rules); never raises."""
        price = guard.price
        try:
            metered_hold = bill.hold if price is not None and price.metered else None
            if metered_hold is not None:
                # The held unit becomes the charge of what was used (even by an answer that
                # failed half-way), or goes back when nothing was.
                bill.hold = None
                used = metered_amount(self._config.credits, bill.units)
                await self.credits.settle(metered_hold, succeeded=bool(bill.units),
                                          amount=used if bill.units else None)
                return
            if bill.hold is not None and bill.job_id is None:
                succeeded = not failed and price is not None and not price.job
                await self.credits.settle(bill.hold, succeeded=succeeded)
            if bill.units:
                amount = metered_amount(self._config.credits, bill.units)
                capability = guard.capability or (price.cost if price is not None else "")
                await self.credits.charge(user_identity(user, chat), capability, amount)
        except Exception:  # the answer is given; a ledger failure must not turn it into one
            log.exception("could not settle the credits of %s", guard.label)

    # -- internals -----------------------------------------------------------------------

    def _amount(self, price: Price, options: Mapping[str, OptionValue]) -> float:
        cost = self._config.credits.price(price.cost)
        if price.per == "use":
            return cost
        if price.per == "1k_chars":
            value = options.get(price.option)
            chars = len(value) if isinstance(value, str) else 0
            return cost * chars / 1000
        return 0.0

    def _refusal(self, balance: Balance, amount: float) -> UserError | None:
        cooldown = self._cooldown_left(balance)
        if cooldown > 0:
            return UserError("limits.cooldown", seconds=math.ceil(cooldown))
        config = self._config.credits
        if not config.enabled:
            return None
        reset = self.credits.reset_time_text()
        if config.bot_daily > 0 and balance.totals.bot_spent + amount > config.bot_daily:
            return UserError("credits.bot_cap", reset=reset)
        if amount > 0 and amount > balance.left:
            return UserError("credits.not_enough", command="", cost=amount_text(amount),
                             left=amount_text(max(0.0, balance.left)), reset=reset)
        return None

    def _never_refuses(self) -> bool:
        """True when no balance could refuse a metered use: credits off (the ledger is
        only kept for ``/usage`` and the statistics) and no cooldown to judge."""
        return not self._config.credits.enabled and self._config.limits.cooldown_s <= 0

    def _active_refusal(self, balance: Balance) -> UserError | None:
        """The running-jobs limit on the user's active jobs, read with the reservation."""
        running = balance.totals.active_jobs
        limit = self._config.limits.concurrent_jobs
        if running >= limit:
            return UserError("limits.concurrent", count=running, limit=limit)
        return None

    def _running_refusal(self, balance: Balance) -> UserError | None:
        """The running-jobs limit judged in the reservation's transaction: jobs whose
        reservation is open (running, or being submitted right now by a concurrent press)."""
        limit = self._config.limits.concurrent_jobs
        if limit <= 0:
            return None
        running = sum(balance.totals.open_holds.get(c, 0) for c in JOB_CAPABILITIES)
        if running >= limit:
            return UserError("limits.concurrent", count=running, limit=limit)
        return None

    def _cooldown_left(self, balance: Balance) -> float:
        cooldown = self._config.limits.cooldown_s
        last = balance.totals.last_use_at
        if cooldown <= 0 or last is None:
            return 0.0
        return last + cooldown - self._clock()

    def _metered_refusal(self, balance: Balance) -> UserError | None:
        cooldown = self._cooldown_left(balance)
        if cooldown > 0:
            return UserError("limits.cooldown", seconds=math.ceil(cooldown))
        config = self._config.credits
        if not config.enabled:
            return None
        if config.bot_daily > 0 and balance.totals.bot_spent >= config.bot_daily:
            return UserError("credits.bot_cap", reset=self.credits.reset_time_text())
        if balance.left <= 0:
            return UserError("credits.none_left", left=amount_text(balance.left),
                             reset=self.credits.reset_time_text())
        return None

    async def _check_running_jobs(self, user: UserRef, chat: ChatRef) -> None:
        limit = self._config.limits.concurrent_jobs
        if limit <= 0:
            return
        running = await self._store.count_active_jobs(chat.platform, user.id)
        if running >= limit:
            raise UserError("limits.concurrent", count=running, limit=limit)
