"""Which language a user is answered in.

In order, the first that names a language of the catalogue wins:

1. the user's own choice in /settings (user setting ``language``; ``auto`` = no choice);
2. the chat's language (chat setting ``language``), meant to be set by a chat's admins —
   nothing sets it yet: an admin command only has to store it;
3. the platform's locale of the user (Telegram ``language_code``, Discord
   ``interaction.locale``), ``zh-CN``/``zh-TW``/``zh-Hans``… meaning ``zh``;
4. ``[bot] locale``.

Choices live in the store, so every bot process sharing it answers alike. They are read once
per event, with the other things the event needs from the store (:mod:`bot.core.prefetch`: the
user's settings and, in a group, the chat's language, in the same trip), and carried along the
event as :class:`Preferences`; :func:`resolve_preferences` reads only them, for texts outside
an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.core.models import ChatRef, Preferences, UserRef
from bot.core.texts import LANGUAGES, normalise_locale
from bot.store.base import EventReads, JsonValue, SettingScope, Store

LANGUAGE_KEY: Final = "language"
AUTO: Final = "auto"
LANGUAGE_CHOICES: Final[tuple[str, ...]] = (AUTO, *LANGUAGES)


async def resolve_preferences(
    store: Store, user: UserRef, chat: ChatRef, default: str
) -> Preferences:
    """The user's settings as stored now, and the catalogue language to answer ``user`` in
    ``chat`` (see the module's order). Events read these with the rest of what they need in
    one trip instead (:mod:`bot.core.prefetch`, then :func:`preferences_from`)."""
    stored = await store.all_settings(SettingScope.USER, chat.platform, user.id)
    if _chosen(stored) is None and not chat.is_private:
        for_chat = await store.get_setting(
            SettingScope.CHAT, chat.platform, chat.chat_id, LANGUAGE_KEY
        )
        return preferences_from(stored, for_chat, user, default)
    return preferences_from(stored, None, user, default)


def preferences_from(
    user_settings: Mapping[str, JsonValue],
    chat_language: JsonValue,
    user: UserRef,
    default: str,
    reads: EventReads | None = None,
) -> Preferences:
    """The language chosen by the user, else ``chat_language`` (the chat's setting, None
    in private chats), else the platform's, with the settings it was judged on."""
    chosen = _chosen(user_settings)
    if chosen is None and isinstance(chat_language, str) and chat_language in LANGUAGES:
        chosen = chat_language
    return Preferences(chosen or platform_locale(user, default), user_settings, reads)


def _chosen(user_settings: Mapping[str, JsonValue]) -> str | None:
    chosen = user_settings.get(LANGUAGE_KEY)
    return chosen if isinstance(chosen, str) and chosen in LANGUAGES else None


def platform_locale(user: UserRef, default: str) -> str:
    """The language of the user's app, else ``default`` (no store involved)."""
    return normalise_locale(user.locale, default)
