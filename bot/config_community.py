"""The sections that open a bot to a community: ``[access]``, ``[credits]``, ``[limits]``.

Identities are ``"<platform>:<id>"`` (``telegram:123456``, ``discord:987654321``,
``console:console-user``); a Discord role is ``discord:role:<role id>``. The lists here are
the starting point: ``/admin`` changes are stored and win over them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from bot.config_reader import SectionReader

CAPABILITIES: Final = (
    "chat", "completion", "image", "midjourney", "music", "video", "audio", "embedding",
)
"""What ``[access.only]``, costs and statistics are counted by."""

COST_KEYS: Final = (
    "chat_1k_tokens", "completion_1k_tokens", "dalle", "sd", "draw", "mj_imagine", "mj_action",
    "mj_describe", "mj_shorten", "mj_faceswap", "music", "video", "tts_1k_chars",
    "transcription_minute", "embedding_1k_tokens",
)

_IDENTITY_RE: Final = re.compile(r"^(telegram|discord|console):(role:)?[^\s:]+$")


@dataclass(frozen=True, slots=True)
class AccessConfig:
    admins: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()  # empty: everyone who is not denied
    deny_users: frozenset[str] = frozenset()
    chats: frozenset[str] = frozenset()  # empty: everywhere
    private_chats: bool = True
    only: Mapping[str, frozenset[str]] = field(default_factory=dict)  # capability -> who


@dataclass(frozen=True, slots=True)
class CreditsConfig:
    enabled: bool = False
    daily: float = 100.0
    reset_hour_utc: int = 0
    bot_daily: float = 0.0  # 0: no cap for the whole bot
    cost: Mapping[str, float] = field(default_factory=dict)  # a missing key costs 0

    def price(self, key: str) -> float:
        return self.cost.get(key, 0.0)


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    concurrent_jobs: int = 3  # per user; 0: no limit
    cooldown_s: float = 0.0
    relay_concurrency: int = 32


def is_identity(value: str) -> bool:
    return bool(_IDENTITY_RE.match(value))


def _identities(s: SectionReader, key: str, *, roles: bool = False) -> frozenset[str]:
    value = s.raw(key)
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        s.problem(key, "must be a list of identities like \"telegram:123\"")
        return frozenset()
    wrong = [v for v in value if not is_identity(v) or (":role:" in v and not roles)]
    if wrong:
        s.problem(key, f"not an identity: {', '.join(map(repr, wrong))} "
                       "(write \"telegram:<id>\", \"discord:<id>\"" +
                       (", \"discord:role:<id>\")" if roles else ")"))
    return frozenset(v for v in value if v not in wrong)


def read_access(s: SectionReader) -> AccessConfig:
    d = AccessConfig()
    admins = _identities(s, "admins")
    users = _identities(s, "users")
    deny = _identities(s, "deny_users")
    chats = _identities(s, "chats")
    private_chats = s.boolean("private_chats", d.private_chats)
    only: dict[str, frozenset[str]] = {}
    raw_only = s.raw("only")
    if raw_only is not None:
        if not isinstance(raw_only, Mapping):
            s.problem("only", "must be a table [access.only]")
        else:
            sub = s.child("only", raw_only)
            for name in raw_only:
                if name not in CAPABILITIES:
                    sub.problem(name, f"unknown capability; one of {', '.join(CAPABILITIES)}")
                    sub.raw(name)
                    continue
                only[name] = _identities(sub, name, roles=True)
            sub.finish()
    s.finish()
    return AccessConfig(admins=admins, users=users, deny_users=deny, chats=chats,
                        private_chats=private_chats, only=only)


def read_credits(s: SectionReader) -> CreditsConfig:
    d = CreditsConfig()
    enabled = s.boolean("enabled", d.enabled)
    daily = s.number("daily", d.daily, minimum=0, maximum=10**9)
    reset_hour = int(s.number("reset_hour_utc", d.reset_hour_utc, minimum=0, maximum=23))
    bot_daily = s.number("bot_daily", d.bot_daily, minimum=0, maximum=10**12)
    cost: dict[str, float] = {}
    raw_cost = s.raw("cost")
    if raw_cost is not None:
        if not isinstance(raw_cost, Mapping):
            s.problem("cost", "must be a table [credits.cost]")
        else:
            sub = s.child("cost", raw_cost)
            for name in raw_cost:
                if name not in COST_KEYS:
                    sub.problem(name, f"unknown cost; one of {', '.join(COST_KEYS)}")
                    sub.raw(name)
                    continue
                cost[name] = sub.number(name, 0.0, minimum=0, maximum=10**9)
            sub.finish()
    s.finish()
    return CreditsConfig(enabled=enabled, daily=daily, reset_hour_utc=reset_hour,
                         bot_daily=bot_daily, cost=cost)


def read_limits(s: SectionReader) -> LimitsConfig:
    d = LimitsConfig()
    limits = LimitsConfig(
        concurrent_jobs=int(s.number("concurrent_jobs", d.concurrent_jobs, minimum=0,
                                     maximum=1000)),
        cooldown_s=s.number("cooldown_s", d.cooldown_s, minimum=0, maximum=86400),
        relay_concurrency=int(s.number("relay_concurrency", d.relay_concurrency, minimum=1,
                                       maximum=10_000)),
    )
    s.finish()
    return limits
