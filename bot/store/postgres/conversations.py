"""Conversations and their messages on PostgreSQL."""

from __future__ import annotations

from typing import Final

import asyncpg

from bot.store import rows
from bot.store.postgres.db import PgDatabase, now_sql
from bot.store.records import Conversation, JsonValue, Message

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
        # Two round trips to the server; PostgreSQL has no thread hand-off to save.
        conversation = await self.active_conversation(platform, chat_id, thread_id)
        return conversation, await self.history(conversation.id, max_chars)
