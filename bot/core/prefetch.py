"""What the core reads about an event's user and place before handling it, in one trip.

An update needs, before anything is sent to the relay: the sender's settings and language
(:mod:`bot.core.language`), the question pending for them here (:mod:`bot.core.questions`),
the ``/admin`` access rules of the user and the place (:mod:`bot.core.access`) and their
stored credit allowance (:mod:`bot.core.credits`). :func:`read_preferences` asks the store
for all of them at once (``Store.read_for_event``) when the event arrives and carries them
along the event on :class:`~bot.core.models.Preferences`; each consumer uses the read when it
covers what it needs and asks the store itself otherwise (a read for another chat, or no read
after a store failure). Nothing is kept past the event: the next one reads again, so a rule
another process stored applies to it.
"""

from __future__ import annotations

from bot.core.access import access_identities, user_identity
from bot.core.context import question_scope
from bot.core.language import LANGUAGE_KEY, preferences_from
from bot.core.models import ChatRef, Preferences, UserRef
from bot.store.base import EventQuery, EventReads, Store


def event_query(user: UserRef, chat: ChatRef) -> EventQuery:
    return EventQuery(
        platform=chat.platform,
        user_id=user.id,
        question_chat_id=question_scope(chat),
        # A group's language counts only when the user chose none; read it anyway, in the
        # same trip, rather than make a second one for the users who did not choose.
        chat_id=None if chat.is_private else chat.chat_id,
        chat_key=LANGUAGE_KEY,
        identities=access_identities(user, chat),
        allowance_of=user_identity(user, chat),
    )


async def read_preferences(
    store: Store, user: UserRef, chat: ChatRef, default: str
) -> Preferences:
    """The preferences of ``user`` in ``chat``, with the event's other reads attached."""
    reads = await store.read_for_event(event_query(user, chat))
    return preferences_from(reads.user_settings, reads.chat_setting, user, default, reads)


def reads_for(preferences: Preferences | None, query: EventQuery) -> EventReads | None:
    """The event's reads when they were made for ``query``'s user and place."""
    reads = preferences.reads if preferences is not None else None
    return reads if reads is not None and reads.query == query else None
