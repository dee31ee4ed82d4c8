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

An event that will most likely be a chat turn (the adapter can tell a ``/chat`` or a plain
message to the bot from the text) also reads its place's conversation and history in that
trip (:func:`prefetched_conversation`), so nothing but the relay request waits between the
gate and the answer. Any other event does not pay for it, and a guess that proves wrong
(the text answered a question) only read what it did not use.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.access import access_identities, user_identity
from bot.core.context import question_scope
from bot.core.language import LANGUAGE_KEY, preferences_from
from bot.core.models import ChatRef, Preferences, UserRef
from bot.store.base import Conversation, EventQuery, EventReads, Message, Store


def conversation_scope(chat: ChatRef) -> tuple[str, str, str]:
    """Where a chat's conversation lives: (platform, chat_id, thread_id)."""
    return chat.platform, chat.chat_id, chat.thread_id


def event_query(user: UserRef, chat: ChatRef, history_chars: int | None = None) -> EventQuery:
    """``history_chars``: also read the place's conversation and that much history."""
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
        conversation_scope=conversation_scope(chat) if history_chars is not None else None,
        history_chars=history_chars or 0,
    )


async def read_preferences(
    store: Store, user: UserRef, chat: ChatRef, default: str, *,
    history_chars: int | None = None,
) -> Preferences:
    """The preferences of ``user`` in ``chat``, with the event's other reads attached
    (with ``history_chars``, the conversation too)."""
    reads = await store.read_for_event(event_query(user, chat, history_chars))
    return preferences_from(reads.user_settings, reads.chat_setting, user, default, reads)


def reads_for(preferences: Preferences | None, query: EventQuery) -> EventReads | None:
    """The event's reads when they were made for ``query``'s user and place."""
    reads = preferences.reads if preferences is not None else None
    if reads is None:
        return None
    # A chat turn's conversation read along makes no difference to the other parts.
    made = replace(reads.query, conversation_scope=None, history_chars=0)
    return reads if made == query else None


def prefetched_conversation(
    reads: EventReads | None, chat: ChatRef, history_chars: int
) -> tuple[Conversation, list[Message]] | None:
    """The conversation and history read with the event, when they were read for this
    place and budget and the place had one; None means: ask the store."""
    if reads is None or reads.conversation is None:
        return None
    query = reads.query
    if query.conversation_scope != conversation_scope(chat) or query.history_chars != history_chars:
        return None
    return reads.conversation
