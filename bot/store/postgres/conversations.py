"""Conversations and their messages on PostgreSQL."""

from __future__ import annotations

from typing import Final

import asyncpg

from bot.store import rows
from bot.store.postgres.db import PgDatabase, now_sql
from bot.store.records import Conversation, JsonValue, Message
from bot.store.rows import load_json

_HISTORY_PAGE: Final = 64
_NO_ID_LIMIT: Final = 2**63 - 1
_RESET_ATTEMPTS: Final = 5


INSERT_MESSAGE = (
    "INSERT INTO messages (conversation_id, role, content, extra, chars, created_at)"
    f" VALUES ($1, $2, $3, $4, $5, {now_sql(6)})"
)


class PgConversations:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def active_conversation(
        self, platform: str, chat_id: str, thread_id: str = ""
    ) -> Conversation:
        scope = (platform, chat_id, thread_id)
        while True:
            # The partial unique index allows one active conversation per scope: whoever
            # inserts first wins and everyone else reads the winner's row.
            row = await self._db.fetch_one(
                "INSERT INTO conversations (platform, chat_id, thread_id, active, created_at)"
                f" VALUES ($1, $2, $3, TRUE, {now_sql(4)})"
                " ON CONFLICT (platform, chat_id, thread_id) WHERE active DO NOTHING"
                " RETURNING *",
                (*scope, self._db.now()),
            )
            if row is None:
                row = await self._db.fetch_one(
                    "SELECT * FROM conversations"
                    " WHERE platform = $1 AND chat_id = $2 AND thread_id = $3 AND active",
                    scope,
                )
            if row is not None:  # None: a reset ended it between the two statements
                return rows.conversation(row)

    async def reset_conversation(
        self, platform: str, chat_id: str, thread_id: str = "", *, keep_settings: bool = True
    ) -> Conversation:
        scope = (platform, chat_id, thread_id)
        for _ in range(_RESET_ATTEMPTS - 1):
            try:
                return await self._reset_once(scope, keep_settings)
            except asyncpg.UniqueViolationError:
                # Another process started a conversation in this scope after our UPDATE
                # looked: end that one too.
                continue
        return await self._reset_once(scope, keep_settings)

    async def _reset_once(self, scope: tuple[str, str, str], keep_settings: bool) -> Conversation:
        async with self._db.transaction() as conn:
            old = await conn.fetchrow(
                f"UPDATE conversations SET active = FALSE, ended_at = {now_sql(4)}"
                " WHERE platform = $1 AND chat_id = $2 AND thread_id = $3 AND active"
                " RETURNING model, persona",
                *scope,
                self._db.now(),
            )
            model, persona = (
                (old["model"], old["persona"]) if old and keep_settings else (None, None)
            )
            row = await conn.fetchrow(
                "INSERT INTO conversations (platform, chat_id, thread_id, model, persona,"
                f" active, created_at) VALUES ($1, $2, $3, $4, $5, TRUE, {now_sql(6)})"
                " RETURNING *",
                *scope,
                model,
                persona,
                self._db.now(),
            )
        assert row is not None
        return rows.conversation(row)

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        row = await self._db.fetch_one(
            "SELECT * FROM conversations WHERE id = $1", (conversation_id,)
        )
        return rows.conversation(row) if row is not None else None

    async def set_conversation_model(self, conversation_id: int, model: str | None) -> None:
        await self._db.execute(
            "UPDATE conversations SET model = $1 WHERE id = $2", (model, conversation_id)
        )

    async def set_conversation_persona(self, conversation_id: int, persona: str | None) -> None:
        await self._db.execute(
            "UPDATE conversations SET persona = $1 WHERE id = $2", (persona, conversation_id)
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
            rows.message_params(conversation_id, role, content, extra, chars, self._db.now()),
        )
        assert row is not None
        return rows.message(row)

    async def history(self, conversation_id: int, max_chars: int) -> list[Message]:
        # Newest first, a page at a time, stopping at the budget (as on SQLite).
        kept: list[asyncpg.Record] = []
        spent = 0
        before = _NO_ID_LIMIT
        while True:
            page = await self._db.fetch_all(
                "SELECT * FROM messages WHERE conversation_id = $1 AND id < $2"
                " ORDER BY id DESC LIMIT $3",
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

    async def active_conversation_and_history(
        self, platform: str, chat_id: str, thread_id: str, max_chars: int
    ) -> tuple[Conversation, list[Message]]:
        while True:
            # One statement, one round trip: the active conversation (created when there is
            # none, by the same race-safe insert as active_conversation's) with its history.
            row = await self._db.fetch_one(
                _ACTIVE_OR_CREATED_WITH_HISTORY, (platform, chat_id, thread_id, max_chars,
                                                  self._db.now()))
            found = conversation_and_history(row) if row is not None else None
            if found is not None:
                return found
            # No row: another process created it after this statement's snapshot was
            # taken (the insert met its row and did nothing); the next statement sees it.


def history_ctes(budget: str) -> str:
    """The CTEs ``walk`` and ``kept`` that read the history of the conversation in the CTE
    ``conv`` (none when ``conv`` is empty) within the budget ``budget`` (a parameter), to
    follow a ``WITH RECURSIVE`` list that defines ``conv``.

    The rule is ``history()``'s: newest first, keep messages while the running total of
    their ``chars`` stays within the budget, stop at the first one that does not fit.
    ``walk`` steps one message older at a time through the (conversation_id, id) index and
    stops after the first message over budget, so the cost follows the budget, not the
    length of the conversation, as ``history()``'s pages do.

    Each step asks for the row just before (conversation, id) in that index's order and
    drops it when it belongs to another conversation. Written as ``conversation_id = ...
    AND id < ... ORDER BY id DESC LIMIT 1``, the planner may take the primary key instead
    (it guesses a match within a few rows when the database has few conversations) and
    walk back through every newer message of the other conversations at each step."""
    return f"""
walk AS (
    SELECT newest.*, newest.chars::bigint AS spent FROM (
        SELECT m.* FROM messages AS m WHERE m.conversation_id <= (SELECT id FROM conv)
        ORDER BY m.conversation_id DESC, m.id DESC LIMIT 1
    ) AS newest
    WHERE newest.conversation_id = (SELECT id FROM conv)
    UNION ALL
    SELECT older.*, walk.spent + older.chars FROM walk, LATERAL (
        SELECT m.* FROM messages AS m
        WHERE (m.conversation_id, m.id) < (walk.conversation_id, walk.id)
        ORDER BY m.conversation_id DESC, m.id DESC LIMIT 1
    ) AS older
    WHERE walk.spent <= {budget} AND older.conversation_id = walk.conversation_id
),
kept AS (SELECT * FROM walk WHERE spent <= {budget})"""


# The conversation's columns (prefixed: they share a row with other parts) and its kept
# history as arrays, one per column, oldest first: one row however long the history.
CONVERSATION_COLUMNS = """
    c.id AS c_id, c.platform AS c_platform, c.chat_id AS c_chat_id,
    c.thread_id AS c_thread_id, c.model AS c_model, c.persona AS c_persona,
    c.active AS c_active, c.created_at AS c_created_at, c.ended_at AS c_ended_at,
    ARRAY(SELECT id FROM kept ORDER BY id) AS m_ids,
    ARRAY(SELECT role FROM kept ORDER BY id) AS m_roles,
    ARRAY(SELECT content FROM kept ORDER BY id) AS m_contents,
    ARRAY(SELECT extra FROM kept ORDER BY id) AS m_extras,
    ARRAY(SELECT chars FROM kept ORDER BY id) AS m_chars,
    ARRAY(SELECT created_at FROM kept ORDER BY id) AS m_created_ats"""

_ACTIVE_OR_CREATED_WITH_HISTORY = f"""
WITH RECURSIVE found AS (
    SELECT * FROM conversations
    WHERE platform = $1 AND chat_id = $2 AND thread_id = $3 AND active
),
created AS (
    INSERT INTO conversations (platform, chat_id, thread_id, active, created_at)
    SELECT $1, $2, $3, TRUE, {now_sql(5)} WHERE NOT EXISTS (SELECT FROM found)
    ON CONFLICT (platform, chat_id, thread_id) WHERE active DO NOTHING
    RETURNING *
),
conv AS (SELECT * FROM found UNION ALL SELECT * FROM created),
{history_ctes("$4")}
SELECT {CONVERSATION_COLUMNS}
FROM conv AS c
"""


def conversation_and_history(row: asyncpg.Record) -> tuple[Conversation, list[Message]] | None:
    """The conversation and history of a row with ``CONVERSATION_COLUMNS``; None when the
    row has no conversation (``c_id`` is NULL)."""
    if row["c_id"] is None:
        return None
    conversation = Conversation(
        id=row["c_id"], platform=row["c_platform"], chat_id=row["c_chat_id"],
        thread_id=row["c_thread_id"], model=row["c_model"], persona=row["c_persona"],
        active=row["c_active"], created_at=row["c_created_at"], ended_at=row["c_ended_at"],
    )
    history = [
        Message(id=message_id, conversation_id=conversation.id, role=role, content=content,
                extra=load_json(extra), chars=chars, created_at=created_at)
        for message_id, role, content, extra, chars, created_at in zip(
            row["m_ids"], row["m_roles"], row["m_contents"], row["m_extras"], row["m_chars"],
            row["m_created_ats"], strict=True)
    ]
    return conversation, history
