"""Whether typed text answers the question pending for its user, and taking it if so.

A command asks with ``ctx.ask`` (:mod:`bot.core.context`), which stores the question; the
answer may come to another process or after a restart. :func:`take_answer` decides what
the text is — the answer, a ``/cancel``, a late or repeated answer the user is told about,
or ordinary chatter — and takes the question from the store exactly once. Running the
continuation (gate, middleware, handler) stays with :meth:`bot.core.dispatcher.Dispatcher.answer`,
like every other handler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final

from bot.core.context import question_scope
from bot.core.models import (
    ChatRef,
    DeliveryError,
    Preferences,
    Reply,
    Responder,
    TypedAnswer,
    UserRef,
)
from bot.core.prefetch import event_query, reads_for
from bot.core.routes import QuestionRoute
from bot.core.texts import t
from bot.store.base import JsonValue, PendingInput, Store

log = logging.getLogger(__name__)

# The kind of a question already answered (see _remember_answered).
_ANSWERED: Final = "answered"
_CANCEL_RE: Final = re.compile(r"^/cancel(?:@\w+)?(?:\s|$)", re.IGNORECASE)

PreferencesFor = Callable[[UserRef, ChatRef], Awaitable[Preferences]]


@dataclass(frozen=True, slots=True)
class TakenAnswer:
    """An answer taken from the store: its continuation is to run with it."""

    route: QuestionRoute
    text: str  # stripped
    stored: Mapping[str, JsonValue]  # what the asker stored with the question


async def take_answer(
    answer: TypedAnswer,
    responder: Responder,
    *,
    store: Store,
    routes: Mapping[str, QuestionRoute],
    preferences_for: PreferencesFor,
) -> TakenAnswer | bool:
    """The question ``answer`` answers, taken from the store, or whether the text was
    consumed without a continuation to run.

    True when it was (the question was cancelled with ``/cancel``, or it had expired or
    was already answered and the user was told so); False when the text is not an answer
    and should be handled as usual."""
    key = (answer.chat.platform, question_scope(answer.chat), answer.user.id)
    reads = reads_for(answer.preferences, event_query(answer.user, answer.chat))
    try:
        # Read with the event's preferences when the adapter read them (one trip for
        # both); the take below is compare-and-set, so a question replaced since is safe.
        pending = (reads.pending if reads is not None
                   else await store.get_pending(*key, include_expired=True))
    except Exception:  # a store failure must not swallow the text: it is handled as usual
        log.warning("could not read pending questions", exc_info=True)
        return False

    async def notify(text_key: str) -> None:
        await _notify(responder, text_key, answer, preferences_for)

    route = routes.get(pending.kind) if pending is not None else None
    payload = pending.payload if pending is not None else None
    stored = payload if isinstance(payload, dict) else {}
    text = answer.text.strip()
    if pending is not None and pending.kind == _ANSWERED:
        if _answers_exactly(answer, stored) and not text.startswith("/"):
            await notify("questions.answered")
            return True
        return False
    if answer.token is not None:
        if pending is None or route is None or answer.token != stored.get("token"):
            # A form filled in for a question already answered, replaced or gone.
            await notify("questions.expired")
            return True
    elif pending is None or route is None:
        return False  # nothing asked, or an input the user gives otherwise (/mask)
    elif text.startswith("/"):
        if pending.expired:
            return False
        await store.pop_pending(*key, only=pending)
        if _CANCEL_RE.match(text) is None:
            return False  # another command: it runs, and the question is dropped
        await notify("questions.cancelled")
        return True
    elif not _answers(answer, pending.expired, stored.get("asked_in")):
        return False
    taken = await store.pop_pending(*key, include_expired=True, only=pending)
    if taken is None:
        # A concurrent answer took it first (a double send, another process), or a
        # newer question replaced it (which stays for its own answer): this one
        # answered the question it saw, so it is no chat message either.
        if _answers_exactly(answer, stored):
            await notify("questions.answered")
            return True
        return False
    if taken.expired or not text:
        await notify("questions.expired" if taken.expired else "questions.cancelled")
        return True
    await _remember_answered(store, key, taken)
    return TakenAnswer(route, text, stored)


async def _remember_answered(store: Store, key: tuple[str, str, str], taken: PendingInput) -> None:
    """Keep what identifies an answered question for as long as it was open, so a
    second reply to it (a double send) is told so instead of being chatted. A question
    the continuation asks next replaces it."""
    stored = taken.payload if isinstance(taken.payload, dict) else {}
    try:
        await store.put_pending(
            *key, kind=_ANSWERED, ttl_s=max(1.0, taken.expires_at - taken.created_at),
            payload={"token": stored.get("token"), "asked_in": stored.get("asked_in")},
        )
    except Exception:  # only a courtesy: the answer itself goes on
        log.warning("could not remember an answered question", exc_info=True)


async def _notify(
    responder: Responder, key: str, answer: TypedAnswer, preferences_for: PreferencesFor
) -> None:
    preferences = answer.preferences or await preferences_for(answer.user, answer.chat)
    text = t(key, preferences.locale)
    try:
        await responder.send(Reply(text, reply_to=answer.message, ephemeral=True))
    except DeliveryError as exc:
        log.warning("could not deliver a notice: %s", exc)


def _answers_exactly(answer: TypedAnswer, stored: Mapping[str, object]) -> bool:
    """Whether the answer names this very question: a reply to its message or its form."""
    if answer.token is not None:
        return answer.token == stored.get("token")
    asked_in = stored.get("asked_in")
    return bool(asked_in) and answer.replied_to == asked_in


def _answers(answer: TypedAnswer, expired: bool, asked_in: object) -> bool:
    """Whether typed text answers the question: a reply to the message that asked (also
    when expired: it is told so), or any text where the platform allows, while it is
    open (an expired question does not swallow later chatter)."""
    if answer.replied_to is not None and answer.replied_to == asked_in:
        return True
    return answer.anywhere and not expired
