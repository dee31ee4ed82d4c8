"""One event's reads and a chat turn's writes on SQLite, each in one hand-off (see
``bot.store.events``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.store import rows
from bot.store.events import EventQuery, EventReads, NewMessage, NewUsage, TurnWritten
from bot.store.records import SettingScope
from bot.store.rows import Clock
from bot.store.sqlite.community import read_access_rules, read_allowance
from bot.store.sqlite.conversations import INSERT_MESSAGE, active_in_scope
from bot.store.sqlite.db import Database
from bot.store.sqlite.settings import INSERT_USAGE, read_all_settings, read_pending, read_setting


class SqliteEvents:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def read_for_event(self, query: EventQuery) -> EventReads:
        now = self._clock()

        def read(conn: sqlite3.Connection) -> EventReads:
            # Autocommit reads, the parts' own, one after another on the thread.
            user_settings = read_all_settings(conn, SettingScope.USER, query.platform,
                                              query.user_id)
            chat_setting = (read_setting(conn, SettingScope.CHAT, query.platform, query.chat_id,
                                         query.chat_key)
                            if query.chat_id is not None else None)
            pending = read_pending(conn, query.platform, query.question_chat_id, query.user_id,
                                   now)
            access_rules = read_access_rules(conn, query.identities)
            allowance = (read_allowance(conn, query.allowance_of)
                         if query.allowance_of is not None else None)
            conversation = (active_in_scope(conn, query.conversation_scope, query.history_chars)
                            if query.conversation_scope is not None else None)
            return EventReads(
                query=query, user_settings=user_settings, chat_setting=chat_setting,
                pending=pending, access_rules=access_rules, allowance=allowance,
                conversation=conversation,
            )

        return await self._db.run(read)

    async def record_chat_turn(
        self, conversation_id: int, messages: Sequence[NewMessage], usage: NewUsage | None
    ) -> TurnWritten:
        now = self._clock()

        def write(conn: sqlite3.Connection) -> TurnWritten:
            # Autocommit: each INSERT is its own transaction, as append_message's and
            # record_usage's, so one that fails takes nothing else back with it.
            failures: list[Exception] = []
            written = 0
            for message in messages:
                try:
                    conn.execute(INSERT_MESSAGE, rows.message_params(
                        conversation_id, message.role, message.content, message.extra,
                        message.chars, now))
                except Exception as error:  # noqa: BLE001 - reported in the result
                    failures.append(error)
                    break
                written += 1
            recorded = False
            if usage is not None:
                try:
                    conn.execute(INSERT_USAGE, (usage.platform, usage.user_id, usage.chat_id,
                                                usage.kind, usage.model, usage.units, now))
                    recorded = True
                except Exception as error:  # noqa: BLE001 - reported in the result
                    failures.append(error)
            return TurnWritten(written, recorded, tuple(failures))

        return await self._db.run(write)
