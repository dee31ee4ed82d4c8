"""Conversations and their messages on SQLite."""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Final

from bot.store import rows
from bot.store.records import Conversation, JsonValue, Message
from bot.store.rows import Clock
from bot.store.sqlite.db import Database, fetch_all, fetch_one

_HISTORY_PAGE: Final = 64
_NO_ID_LIMIT: Final = 2**63 - 1

_ACTIVE_IN_SCOPE = (
    "SELECT * FROM conversations"
    " WHERE platform = ? AND chat_id = ? AND thread_id = ? AND active = 1"
)
_CREATE_IN_SCOPE = (
    "INSERT INTO conversations (platform, chat_id, thread_id, active, created_at)"
    " VALUES (?, ?, ?, 1, ?)"
    " ON CONFLICT (platform, chat_id, thread_id) WHERE active = 1 DO NOTHING"
    " RETURNING *"
)

INSERT_MESSAGE = (
    "INSERT INTO messages (conversation_id, role, content, extra, chars, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


class SqliteConversations:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def active_conversation(
        self, platform: str, chat_id: str, thread_id: str = ""
    ) -> Conversation:
        scope = (platform, chat_id, thread_id)
        while True:
            # Usually it exists: a read, which needs no write lock. Otherwise the partial
            # unique index allows one active conversation per scope: whoever inserts first
            # wins and everyone else reads the winner's row.
            row = await self._db.fetch_one(_ACTIVE_IN_SCOPE, scope)
            if row is not None:
                return rows.conversation(row)
            row = await self._db.fetch_one(_CREATE_IN_SCOPE, (*scope, self._clock()))
            if row is not None:  # None: another inserted it, or a reset ended it, meanwhile
                return rows.conversation(row)

    async def reset_conversation(
        self, platform: str, chat_id: str, thread_id: str = "", *, keep_settings: bool = True
    ) -> Conversation:
        scope = (platform, chat_id, thread_id)
        now = self._clock()

        def reset(conn: sqlite3.Connection) -> sqlite3.Row | None:
            old = fetch_one(
                conn,
                "UPDATE conversations SET active = 0, ended_at = ?"
                " WHERE platform = ? AND chat_id = ? AND thread_id = ? AND active = 1"
                " RETURNING model, persona",
                (now, *scope),
            )
            model, persona = (
                (old["model"], old["persona"]) if old and keep_settings else (None, None)
            )
            return fetch_one(
                conn,
                "INSERT INTO conversations (platform, chat_id, thread_id, model, persona,"
                " active, created_at) VALUES (?, ?, ?, ?, ?, 1, ?) RETURNING *",
                (*scope, model, persona, now),
            )

        row = await self._db.write(reset)
        assert row is not None
        return rows.conversation(row)

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        row = await self._db.fetch_one(
            "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
        )
        return rows.conversation(row) if row is not None else None

    async def set_conversation_model(self, conversation_id: int, model: str | None) -> None:
        await self._db.execute(
            "UPDATE conversations SET model = ? WHERE id = ?", (model, conversation_id)
        )

    async def set_conversation_persona(self, conversation_id: int, persona: str | None) -> None:
        await self._db.execute(
            "UPDATE conversations SET persona = ? WHERE id = ?", (persona, conversation_id)
        )

    async def append_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        extra: JsonValue = None,
        chars: int | None = None,
    ) -> Message:
        row = await self._db.fetch_one(
            INSERT_MESSAGE + " RETURNING *",
            rows.message_params(conversation_id, role, content, extra, chars, self._clock()),
        )
        assert row is not None
        return rows.message(row)

    async def history(self, conversation_id: int, max_chars: int) -> list[Message]:
        # The messages within budget are a newest-end suffix of the conversation, so read
        # newest first, a page at a time, and stop at the budget: the cost follows the
        # budget, not the length of the conversation. All pages in one hand-off.
        return await self._db.run(partial(_history, conversation_id, max_chars))

    async def active_conversation_and_history(
        self, platform: str, chat_id: str, thread_id: str, max_chars: int
    ) -> tuple[Conversation, list[Message]]:
        scope = (platform, chat_id, thread_id)

        now = self._clock()

        def read(conn: sqlite3.Connection) -> tuple[Conversation, list[Message]] | None:
            found = active_in_scope(conn, scope, max_chars)
            if found is not None:
                return found
            # The first turn creates it, in the same hand-off (each hand-off lets the other
            # messages' work run first on a busy loop): the same race-safe insert as
            # active_conversation's, committed on its own.
            created = fetch_one(conn, _CREATE_IN_SCOPE, (*scope, now))
            return (rows.conversation(created), []) if created is not None else None

        found = await self._db.run(read)
        if found is not None:
            return found
        # Another store created it (or a reset ended it) between the two statements.
        conversation = await self.active_conversation(platform, chat_id, thread_id)
        return conversation, await self.history(conversation.id, max_chars)


def active_in_scope(
    conn: sqlite3.Connection, scope: tuple[str, str, str], max_chars: int
) -> tuple[Conversation, list[Message]] | None:
    """The active conversation of (platform, chat_id, thread_id) with its history within
    ``max_chars``; None when there is none (nothing is created)."""
    row = fetch_one(conn, _ACTIVE_IN_SCOPE, scope)
    if row is None:
        return None
    return rows.conversation(row), _history(row["id"], max_chars, conn)


def _history(conversation_id: int, max_chars: int, conn: sqlite3.Connection) -> list[Message]:
    kept: list[sqlite3.Row] = []
    spent = 0
    before = _NO_ID_LIMIT
    while True:
        page = fetch_all(
            conn,
            "SELECT * FROM messages WHERE conversation_id = ? AND id < ?"
            " ORDER BY id DESC LIMIT ?",
            (conversation_id, before, _HISTORY_PAGE),
        )
        for row in page:
            spent += row["chars"]
            if spent > max_chars:
                return [rows.message(r) for r in reversed(kept)]
            kept.append(row)
        if len(page) < _HISTORY_PAGE:
            return [rows.message(r) for r in reversed(kept)]
        before = page[-1]["id"]
