"""One event's reads (one statement) and a chat turn's writes (one pooled connection) on
PostgreSQL, see ``bot.store.events``."""

from __future__ import annotations

from collections.abc import Sequence

from bot.store import rows
from bot.store.events import EventQuery, EventReads, NewMessage, NewUsage, TurnWritten
from bot.store.postgres.conversations import (
    CONVERSATION_COLUMNS,
    INSERT_MESSAGE,
    conversation_and_history,
    history_ctes,
)
from bot.store.postgres.db import PgDatabase, now_sql
from bot.store.postgres.settings import INSERT_USAGE
from bot.store.records import SettingScope
from bot.store.rows import load_json

# Every part is a scalar subquery (arrays for the lists, in the same order), so the whole
# read is one round trip on one pooled connection; the pending input and the conversation
# are joined to a single row so that the statement returns one row whether or not a
# question is pending or the place has an active conversation. Without a conversation
# scope ($11..$13 NULL) ``conv`` matches nothing and the history part reads nothing.
_READ = f"""
WITH RECURSIVE conv AS (
    SELECT * FROM conversations
    WHERE platform = $11 AND chat_id = $12 AND thread_id = $13 AND active
),
{history_ctes("$14")}
SELECT
    ARRAY(SELECT key FROM settings WHERE scope = $1 AND platform = $3 AND owner_id = $4
          ORDER BY key) AS setting_keys,
    ARRAY(SELECT value FROM settings WHERE scope = $1 AND platform = $3 AND owner_id = $4
          ORDER BY key) AS setting_values,
    (SELECT value FROM settings WHERE scope = $2 AND platform = $3 AND owner_id = $5
       AND key = $6) AS chat_setting,
    ARRAY(SELECT identity FROM access_rules WHERE identity = ANY($8::text[])
          ORDER BY identity) AS rule_identities,
    ARRAY(SELECT rule FROM access_rules WHERE identity = ANY($8::text[])
          ORDER BY identity) AS rules,
    (SELECT daily FROM credit_allowances WHERE identity = $9) AS allowance,
    p.platform, p.chat_id, p.user_id, p.kind, p.payload, p.created_at, p.expires_at,
    p.expires_at <= {now_sql(10)} AS stale,
    {CONVERSATION_COLUMNS}
FROM (SELECT 1) AS one
LEFT JOIN pending_inputs AS p ON p.platform = $3 AND p.chat_id = $7 AND p.user_id = $4
LEFT JOIN conv AS c ON TRUE
"""

class PgEvents:
    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def read_for_event(self, query: EventQuery) -> EventReads:
        row = await self._db.fetch_one(_READ, (
            SettingScope.USER.value, SettingScope.CHAT.value, query.platform, query.user_id,
            query.chat_id, query.chat_key, query.question_chat_id, list(query.identities),
            query.allowance_of, self._db.now(), *(query.conversation_scope or (None,) * 3),
            query.history_chars,
        ))
        assert row is not None
        return EventReads(
            query=query,
            user_settings={key: load_json(value) for key, value
                           in zip(row["setting_keys"], row["setting_values"], strict=True)},
            chat_setting=load_json(row["chat_setting"]),
            pending=(rows.pending(row, expired=bool(row["stale"]))
                     if row["kind"] is not None else None),
            access_rules={identity: "deny" if rule == "deny" else "allow" for identity, rule
                          in zip(row["rule_identities"], row["rules"], strict=True)},
            allowance=float(row["allowance"]) if row["allowance"] is not None else None,
            conversation=conversation_and_history(row),
        )

    async def record_chat_turn(
        self, conversation_id: int, messages: Sequence[NewMessage], usage: NewUsage | None
    ) -> TurnWritten:
        now = self._db.now()
        failures: list[Exception] = []
        written = 0
        recorded = False
        async with self._db.connection() as conn:
            # No transaction: each INSERT commits on its own, as on SQLite.
            for message in messages:
                try:
                    await conn.execute(INSERT_MESSAGE, *rows.message_params(
                        conversation_id, message.role, message.content, message.extra,
                        message.chars, now))
                except Exception as error:  # noqa: BLE001 - reported in the result
                    failures.append(error)
                    break
                written += 1
            if usage is not None:
                try:
                    await conn.execute(INSERT_USAGE, usage.platform, usage.user_id,
                                       usage.chat_id, usage.kind, usage.model, usage.units, now)
                    recorded = True
                except Exception as error:  # noqa: BLE001 - reported in the result
                    failures.append(error)
        return TurnWritten(written, recorded, tuple(failures))
