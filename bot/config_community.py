"""The sections that open a bot to a community: ``[access]``, ``[credits]``, ``[limits]``.

Identities are ``"<platform>:<id>"`` (``telegram:123456``, ``discord:987654321``,
``console:console-user``); a Discord role is ``discord:role:<role id>``. The lists here are
the starting point: ``/admin`` changes are stored and win over them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeVar

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

_T = TypeVar("_T")


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


def _named_table(
    s: SectionReader, section: str, key: str, what: str, known: tuple[str, ...],
    read: Callable[[SectionReader, str], _T],
) -> dict[str, _T]:
    """``[section.key]``: a table whose keys must be in ``known``; an unknown key is a problem
    (and is marked read, so it is not also reported as an unknown key of the sub-table)."""
    table: dict[str, _T] = {}
    raw = s.raw(key)
    if raw is None:
        return table
    if not isinstance(raw, Mapping):
        s.problem(key, f"must be a table [{section}.{key}]")
        return table
    sub = s.child(key, raw)
    for name in raw:
        if name not in known:
            sub.problem(name, f"unknown {what}; one of {', '.join(known)}")
            sub.raw(name)
            continue
        table[name] = read(sub, name)
    sub.finish()
    return table


def read_access(s: SectionReader) -> AccessConfig:
    d = AccessConfig()
    admins = _identities(s, "admins")
    users = _identities(s, "users")
    deny = _identities(s, "deny_users")
    chats = _identities(s, "chats")
    private_chats = s.boolean("private_chats", d.private_chats)
    only = _named_table(s, "access", "only", "capability", CAPABILITIES,
                        lambda sub, name: _identities(sub, name, roles=True))
    s.finish()
    return AccessConfig(admins=admins, users=users, deny_users=deny, chats=chats,
                        private_chats=private_chats, only=only)


def read_credits(s: SectionReader) -> CreditsConfig:
    d = CreditsConfig()
    enabled = s.boolean("enabled", d.enabled)
    daily = s.number("daily", d.daily, minimum=0, maximum=10**9)
    reset_hour = int(s.number("reset_hour_utc", d.reset_hour_utc, minimum=0, maximum=23))
    bot_daily = s.number("bot_daily", d.bot_daily, minimum=0, maximum=10**12)
    cost = _named_table(s, "credits", "cost", "cost", COST_KEYS,
                        lambda sub, name: sub.number(name, 0.0, minimum=0, maximum=10**9))
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
