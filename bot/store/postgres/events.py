"""One event's reads and a chat turn's writes on PostgreSQL, each one statement (one round
trip), see ``bot.store.events``."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from bot.store import rows
from bot.store.events import EventQuery, EventReads, NewMessage, NewUsage, TurnWritten
from bot.store.postgres.conversations import (
    CONVERSATION_COLUMNS,
    conversation_and_history,
    history_ctes,
)
from bot.store.postgres.db import PgDatabase, now_sql
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

# The turn's messages (in order: the SELECT is sorted before the identity column numbers
# the rows) and its usage entry in one statement, so in one transaction: all or nothing.
# A conversation that is gone takes no messages (instead of failing the foreign key and,
# with it, the usage entry); ``present`` tells the caller so.
_RECORD_TURN = f"""
WITH turn AS (
    INSERT INTO messages (conversation_id, role, content, extra, chars, created_at)
    SELECT c.id, m.role, m.content, m.extra, m.chars, {now_sql(2)}
    FROM conversations AS c,
         unnest($3::text[], $4::text[], $5::text[], $6::int[])
             WITH ORDINALITY AS m (role, content, extra, chars, position)
    WHERE c.id = $1
    ORDER BY m.position
    RETURNING 1
),
used AS (
    INSERT INTO usage (platform, user_id, chat_id, kind, model, units, created_at)
    SELECT $7, $8, $9, $10, $11, $12, {now_sql(2)} WHERE $7::text IS NOT NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM turn) AS written, (SELECT count(*) FROM used) AS recorded,
       EXISTS (SELECT FROM conversations WHERE id = $1) AS present
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
        params = [rows.message_params(conversation_id, m.role, m.content, m.extra, m.chars,
                                      None) for m in messages]
        try:
            row = await self._db.fetch_one(_RECORD_TURN, (
                conversation_id, self._db.now(),
                [p[1] for p in params], [p[2] for p in params], [p[3] for p in params],
                [p[4] for p in params],
                *((usage.platform, usage.user_id, usage.chat_id, usage.kind, usage.model,
                   usage.units) if usage is not None else (None,) * 6),
            ))
        except asyncpg.PostgresError as error:
            # The server refused the statement: it took everything back, so nothing was
            # written and the caller's retry writes all of it. (Not reaching the server
            # at all raises, as the protocol says.)
            return TurnWritten(0, False, (error,))
        assert row is not None
        failures: tuple[Exception, ...] = ()
        if messages and not row["present"]:
            failures = (LookupError(f"conversation {conversation_id} no longer exists"),)
        return TurnWritten(int(row["written"]), bool(row["recorded"]), failures)
