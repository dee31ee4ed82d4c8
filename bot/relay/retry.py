"""When a failed relay call may be tried again, and how long to wait first.

The rule (DESIGN.md §3, after openai-python): retry idempotent queries on connection
failures, timeouts, 429 and 500/502/503/504; retry *any* call only when the connection
failed before the request was written. A paid submit that reached the relay is never
repeated: a duplicate imagine or song costs the user money.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.relay import errors

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` counts the first try. ``jitter`` removes up to that fraction of a delay."""

    attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    jitter: float = 0.25

    def backoff(self, retry_number: int, random: Callable[[], float]) -> float:
        """Delay before retry ``retry_number`` (1-based): exponential, capped, jittered."""
        delay = min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry_number - 1))
        return delay * (1.0 - self.jitter * random())

    def delay_for(
        self, error: errors.RelayError, retry_number: int, random: Callable[[], float]
    ) -> float | None:
        """Seconds to wait before retrying after ``error``; None means do not retry.

        A ``Retry-After`` longer than ``max_delay_s`` is not slept through: the error goes
        to the caller (a poller can reschedule) instead of holding a command for minutes.
        """
        if isinstance(error, errors.RateLimitedError) and error.retry_after is not None:
            if error.retry_after > self.max_delay_s:
                return None
            return error.retry_after
        return self.backoff(retry_number, random)


def is_retryable(error: errors.RelayError, *, idempotent: bool, pre_send: bool) -> bool:
    """Whether ``error`` allows another attempt of the same request."""
    if pre_send:
        return True
    if not idempotent:
        return False
    if isinstance(error, errors.RelayConnectionError | errors.RelayTimeoutError):
        return True
    if isinstance(error, errors.NoChannelError):
        return False
    return isinstance(error, errors.RelayStatusError) and error.status in RETRYABLE_STATUSES
