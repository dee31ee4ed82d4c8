"""Who may use the bot, where, and which capabilities (``[access]`` plus ``/admin`` rules).

Identities are ``"<platform>:<id>"``. One namespace serves users and places: Telegram user
ids are positive and group ids negative, Discord snowflakes are unique across users, guilds
and channels, so ``/admin deny discord:555`` means whichever of them 555 is.

Order of the checks (the first refusal is the answer):

1. admins (config) are never refused;
2. a stored ``deny`` of the user, else a stored ``allow``, else the config: ``deny_users``,
   then the ``users`` allowlist when it is not empty;
3. the place: private chats unless ``private_chats = false``; elsewhere a stored rule for
   the chat or its community (Discord guild), else the ``chats`` allowlist when not empty;
4. ``[access.only]`` for the capability: the user or one of their Discord roles is listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from bot.config import AccessConfig
from bot.core.models import ChatRef, UserRef
from bot.store.base import Store
from bot.store.community import AccessRule

ROLE_PREFIX: Final = "role:"


def identity(platform: str, some_id: str) -> str:
    return f"{platform}:{some_id}"


def user_identity(user: UserRef, chat: ChatRef) -> str:
    return identity(chat.platform, user.id)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why someone is refused: a catalogue key and its values."""

    key: str
    capability: str | None = None


class AccessPolicy:
    def __init__(self, config: AccessConfig, store: Store) -> None:
        self._config = config
        self._store = store

    def is_admin(self, user: UserRef, chat: ChatRef) -> bool:
        return user_identity(user, chat) in self._config.admins

    async def check(
        self, user: UserRef, chat: ChatRef, roles: tuple[str, ...], capability: str | None,
        *, read: Mapping[str, AccessRule] | None = None,
    ) -> Refusal | None:
        """None when allowed, else why not. ``read``: the stored rules of
        :func:`access_identities`, read already for this event (else they are read here)."""
        if self.is_admin(user, chat):
            return None
        config = self._config
        me = user_identity(user, chat)
        places = _places(chat)
        rules = read if read is not None else await self._store.access_rules((me, *places))
        mine = rules.get(me)
        if mine == "deny" or (mine is None and (
            me in config.deny_users or (config.users and me not in config.users)
        )):
            return Refusal("access.not_allowed")
        if chat.is_private:
            if not config.private_chats and mine != "allow":
                return Refusal("access.no_private")
        else:
            place_rules = [rules[p] for p in places if p in rules]
            if "deny" in place_rules:
                return Refusal("access.not_here")
            if not place_rules and config.chats and not config.chats.intersection(places):
                return Refusal("access.not_here")
        if capability is not None and capability in config.only:
            allowed = config.only[capability]
            mine_roles = {identity(chat.platform, ROLE_PREFIX + role) for role in roles}
            if me not in allowed and not allowed.intersection(mine_roles):
                return Refusal("access.capability", capability)
        return None


def access_identities(user: UserRef, chat: ChatRef) -> tuple[str, ...]:
    """Whose stored rules :meth:`AccessPolicy.check` judges ``user`` in ``chat`` by."""
    return (user_identity(user, chat), *_places(chat))


def _places(chat: ChatRef) -> tuple[str, ...]:
    if chat.is_private:
        return ()
    found = [identity(chat.platform, chat.chat_id)]
    if chat.community_id:
        found.append(identity(chat.platform, chat.community_id))
    return tuple(found)
