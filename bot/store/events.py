"""What one event reads before it is handled, and what a chat turn writes after its answer,
each in one trip.

Every update (a message, a command, a press, an answer) first needs the sender's settings
(their language), the question pending for them, the ``/admin`` access rules of the user and
the place and, for a paid command, their stored credit allowance. These belong to four store
parts, but asking each on its own costs one hand-off to SQLite's connection thread (one round
trip to PostgreSQL) apiece, and on a busy loop every hand-off is a moment where the event
waits behind other work. :meth:`EventStore.read_for_event` reads them together.

Nothing here is cached: the reads are made anew for every event, so a rule an admin stored
in another process applies to that process's next event.

After a chat answer was shown, the turn's question and answer go into the conversation's
history and an entry into the usage records: :meth:`EventStore.record_chat_turn` writes them
in one trip too (on SQLite each committed on its own, on PostgreSQL all or nothing: see there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.store.community import AccessRule
from bot.store.records import Conversation, JsonValue, Message, PendingInput


@dataclass(frozen=True, slots=True)
class EventQuery:
    """What to read for one event."""

    platform: str
    user_id: str
    question_chat_id: str  # the pending input's ``chat_id`` (a chat, or a chat and topic)
    chat_id: str | None = None  # read the chat setting ``chat_key`` of this chat (None: not)
    chat_key: str = ""
    identities: tuple[str, ...] = ()  # whose access rules to read
    allowance_of: str | None = None  # whose stored allowance to read (None: nobody's)
    # The place's active conversation and its history within ``history_chars``, for an
    # event that will most likely be a chat turn: (platform, chat_id, thread_id), or None.
    conversation_scope: tuple[str, str, str] | None = None
    history_chars: int = 0


@dataclass(frozen=True, slots=True)
class EventReads:
    """The answers to ``query``, as stored when they were read."""

    query: EventQuery
    user_settings: Mapping[str, JsonValue] = field(default_factory=dict)
    chat_setting: JsonValue = None  # None when unset or not asked
    # As ``get_pending(include_expired=True)``: an expired one too, marked ``expired``.
    pending: PendingInput | None = None
    access_rules: Mapping[str, AccessRule] = field(default_factory=dict)
    allowance: float | None = None  # None when none is stored (or not asked)
    # As ``active_conversation_and_history`` when asked and the place has an active
    # conversation; None otherwise (never created here: the chat turn creates it).
    conversation: tuple[Conversation, list[Message]] | None = None


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to add to a conversation (as ``append_message``'s arguments)."""

    role: str
    content: str
    extra: JsonValue = None
    chars: int | None = None  # defaults to ``len(content)``


@dataclass(frozen=True, slots=True)
class NewUsage:
    """A usage entry to record (as ``record_usage``'s arguments)."""

    platform: str
    user_id: str
    chat_id: str
    kind: str
    model: str | None = None
    units: int = 1


@dataclass(frozen=True, slots=True)
class TurnWritten:
    """What :meth:`EventStore.record_chat_turn` wrote, and what failed: what it says was not
    written was not, so writing it again never doubles anything."""

    messages: int  # how many of the messages were written: always the first ones
    usage: bool  # whether the usage entry was written (False also when none was given)
    failures: tuple[Exception, ...] = ()  # why the others were not, for the log


class EventStore(Protocol):
    async def read_for_event(self, query: EventQuery) -> EventReads:
        """Everything ``query`` names, read together: on SQLite in one hand-off to the
        connection thread, on PostgreSQL in one statement (one round trip). Each part is what
        its own part's method returns (``all_settings``, ``get_setting``,
        ``get_pending(include_expired=True)``, ``access_rules``, ``allowance``, and
        ``active_conversation_and_history`` without creating one)."""

    async def record_chat_turn(
        self, conversation_id: int, messages: Sequence[NewMessage], usage: NewUsage | None
    ) -> TurnWritten:
        """Add ``messages`` to the conversation, in order, and record ``usage``, in one trip.
        What the database refuses is reported in the result instead of raised, so the caller
        can try again exactly what is missing; raises only when the database could not be
        asked at all (unreachable), which writes nothing.

        On SQLite (one hand-off) each write is committed on its own, as ``append_message``
        and ``record_usage`` would commit it: a failed one keeps the others; a message that
        fails stops the messages after it (a history keeps its order), not the usage entry.

        On PostgreSQL it is one statement, so one round trip and one transaction: all or
        nothing. Separate commits would cost a round trip each (asyncpg sends a statement
        only after the previous one's answer), and a refused statement is rare enough that
        writing everything again is cheap; a failure reports nothing written and no usage
        recorded, which is true. The one refusal that is not transient, a conversation that
        no longer exists, does not take the usage entry down with it: no messages, the usage
        recorded, and the reason among the failures (as on SQLite)."""
