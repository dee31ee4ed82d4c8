"""``relaybot check``: reach every configured service and say, one line each, what works.

Each check returns a :class:`CheckLine`; a failed one carries the fix an operator can
apply. Checks run concurrently, each bounded by its own timeout, and never raise:
whatever goes wrong becomes a failed line. Only what the configuration names is
checked (no Telegram line without a ``[telegram]`` section).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from bot.check.lines import CheckLine, render
from bot.check.platforms import check_discord, check_telegram
from bot.check.relay import check_relay
from bot.check.store import check_store
from bot.config import AppConfig

__all__ = ["CheckLine", "render", "run_checks"]


async def run_checks(
    config: AppConfig, *, command_names: Collection[str], timeout_s: float = 10.0
) -> Sequence[CheckLine]:
    """Check the relay, each configured platform and the store, in that order."""
    checks = [check_relay(config, timeout_s=timeout_s)]
    if config.telegram is not None:
        checks.append(check_telegram(config, config.telegram, timeout_s=timeout_s))
    if config.discord is not None:
        checks.append(
            check_discord(config, config.discord, command_names, timeout_s=timeout_s)
        )
    checks.append(check_store(config))
    return await asyncio.gather(*checks)
