"""Which language a user is answered in.

In order, the first that names a language of the catalogue wins:

1. the user's own choice in /settings (user setting ``language``; ``auto`` = no choice);
2. the chat's language (chat setting ``language``), meant to be set by a chat's admins —
   nothing sets it yet: an admin command only has to store it;
3. the platform's locale of the user (Telegram ``language_code``, Discord
   ``interaction.locale``), ``zh-CN``/``zh-TW``/``zh-Hans``… meaning ``zh``;
4. ``[bot] locale``.

Choices live in the store, so every bot process sharing it answers alike. They are read once
per event (:func:`resolve_preferences`: one read of the user's settings, plus the chat's language
in a group when the user chose none) and carried along the event as :class:`Preferences`.
"""

from __future__ import annotations

from typing import Final

from bot.core.models import ChatRef, Preferences, UserRef
from bot.core.texts import LANGUAGES, normalise_locale
from bot.store.base import SettingScope, Store

LANGUAGE_KEY: Final = "language"
AUTO: Final = "auto"
LANGUAGE_CHOICES: Final[tuple[str, ...]] = (AUTO, *LANGUAGES)


async def resolve_preferences(
    store: Store, user: UserRef, chat: ChatRef, default: str
) -> Preferences:
    """The user's settings as stored now, and the catalogue language to answer ``user`` in
    ``chat`` (see the module's order)."""
    stored = await store.all_settings(SettingScope.USER, chat.platform, user.id)
    chosen = stored.get(LANGUAGE_KEY)
    if isinstance(chosen, str) and chosen in LANGUAGES:
        return Preferences(chosen, stored)
    return Preferences(await _chat_or_platform_locale(store, user, chat, default), stored)


async def _chat_or_platform_locale(
    store: Store, user: UserRef, chat: ChatRef, default: str
) -> str:
    if not chat.is_private:
        for_chat = await store.get_setting(
            SettingScope.CHAT, chat.platform, chat.chat_id, LANGUAGE_KEY
        )
        if isinstance(for_chat, str) and for_chat in LANGUAGES:
            return for_chat
    return platform_locale(user, default)


def platform_locale(user: UserRef, default: str) -> str:
    """The language of the user's app, else ``default`` (no store involved)."""
    return normalise_locale(user.locale, default)
