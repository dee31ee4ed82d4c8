"""What the core reads about a user and a place before it handles one event, in one trip.

Every update (a message, a command, a press, an answer) first needs the sender's settings
(their language), the question pending for them, the ``/admin`` access rules of the user and
the place and, with credits on, their stored allowance. These belong to four store parts,
but asking each on its own costs one hand-off to SQLite's connection thread (one round trip
to PostgreSQL) apiece, and on a busy loop every hand-off is a moment where the event waits
behind other work. :meth:`EventReadStore.read_for_event` reads them together.

Nothing here is cached: the reads are made anew for every event, so a rule an admin stored
in another process applies to that process's next event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.store.community import AccessRule
from bot.store.records import JsonValue, PendingInput


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


class EventReadStore(Protocol):
    async def read_for_event(self, query: EventQuery) -> EventReads:
        """Everything ``query`` names, read together: on SQLite in one hand-off to the
        connection thread, on PostgreSQL in one statement. Each part is what its own part's
        method returns (``all_settings``, ``get_setting``, ``get_pending(include_expired=True)``,
        ``access_rules``, ``allowance``)."""
