"""What a command handler gets: the event, a responder and the bot's services.

Handlers are ``async def handler(ctx: CommandContext) -> None`` (commands and plain
messages), ``async def handler(ctx: ButtonContext) -> None`` (button presses) or
``async def handler(ctx: AnswerContext) -> None`` (answers to ``ctx.ask``). They
answer with ``ctx.reply(...)`` or talk to ``ctx.responder`` directly, and raise
:class:`~bot.core.errors.UserError` or let relay errors escape: the dispatcher turns
those into words.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp

from bot.config import AppConfig
from bot.core.bell import TrackerBell
from bot.core.credits import Bill
from bot.core.models import (
    Attachment,
    Button,
    ButtonPress,
    ChatRef,
    Invocation,
    MessageRef,
    OptionValue,
    OutgoingFile,
    Question,
    Reply,
    Responder,
    UserRef,
)
from bot.core.render import split_text
from bot.core.texts import t
from bot.egress import EgressPolicy
from bot.log import Redactor
from bot.metrics import Metrics
from bot.relay import RelayClient
from bot.store.base import ButtonKey, EventReads, JsonValue, Store

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.core.routes import CommandSpec

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

QUESTION_TTL_S = 15 * 60.0  # how long a question may be answered


def question_scope(chat: ChatRef) -> str:
    """The store's ``chat_id`` for questions and other pending inputs: the chat, and the
    topic or thread within it, so a question asked in one topic is answered there."""
    return f"{chat.chat_id}/{chat.thread_id}" if chat.thread_id else chat.chat_id


@dataclass(frozen=True, slots=True)
class Services:
    """Long-lived things every handler may use; built once by the composition root."""

    config: AppConfig
    store: Store
    relay: RelayClient
    http: aiohttp.ClientSession  # the shared session, for media downloads
    clock: Clock = field(default=time.monotonic)
    sleep: Sleep = field(default=asyncio.sleep)
    jobs: TrackerBell = field(default_factory=TrackerBell)  # wakes the job tracker
    # Where media may be downloaded from; None (tests building Services by hand) = anywhere.
    egress: EgressPolicy | None = None
    metrics: Metrics = field(default_factory=Metrics)  # this App's own counters
    # Calendar time (credit days, cooldowns) and the clock the job tracker compares stored
    # times with (deadlines, submits in flight); ``clock`` is monotonic, for intervals.
    wall_clock: Clock = field(default=time.time)
    # This process in the store: who holds a submit or a delivery (see instance_name()).
    instance: str = "relaybot"
    # Hides the configured secrets (and credential shapes) in texts quoting the relay,
    # a platform or an exception, like the log handler does.
    redact: Redactor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "redact", Redactor(self.config.secrets()))


@dataclass(frozen=True, slots=True)
class BaseContext:
    user: UserRef
    chat: ChatRef
    responder: Responder
    services: Services
    locale: str
    commands: tuple[CommandSpec, ...]  # every registered command, for /help
    # The user's stored settings as read for this event (``Preferences``): handlers read
    # them here instead of asking the store again; a handler that changes one reads anew.
    user_settings: Mapping[str, JsonValue]
    # What this event's work costs; the dispatcher reserves before and settles after.
    bill: Bill = field(default_factory=Bill, kw_only=True)
    # Everything read with the event's preferences (``Preferences.reads``), for handlers
    # that can use a part of it (a chat turn its conversation); None when not read.
    reads: EventReads | None = field(default=None, kw_only=True)

    def t(self, key: str, /, **fmt: object) -> str:
        """The catalogue text for ``key`` in this user's language."""
        return t(key, self.locale, **fmt)

    async def reply(
        self,
        text: str = "",
        *,
        files: tuple[OutgoingFile, ...] = (),
        buttons: tuple[tuple[Button, ...], ...] = (),
        reply_to: MessageRef | None = None,
    ) -> MessageRef:
        """Send ``text`` split at the platform limit; files and buttons go on the last piece.

        Returns the last message sent (the one carrying buttons).
        """
        limits = self.responder.limits
        pieces = split_text(text, limits.max_text, limits.text_length) if text else [""]
        ref: MessageRef | None = None
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            ref = await self.responder.send(
                Reply(
                    text=piece,
                    files=files if last else (),
                    buttons=buttons if last else (),
                    reply_to=reply_to if index == 0 else None,
                )
            )
        assert ref is not None
        return ref

    async def ask(
        self,
        kind: str,
        prompt: str,
        *,
        prefill: str = "",
        data: JsonValue = None,
        ttl_s: float = QUESTION_TTL_S,
    ) -> bool:
        """Ask this user for text; the answer goes to the ``QuestionRoute`` of ``kind``.

        The question is kept in the store with ``data`` (what the continuation needs), so
        the answer reaches its continuation in whichever process receives it, also after
        a restart. Asking replaces this user's earlier question in this chat. False when
        nobody can be asked here."""
        token = secrets.token_urlsafe(9)
        store = self.services.store
        key = (self.chat.platform, question_scope(self.chat), self.user.id)
        payload: dict[str, JsonValue] = {"token": token, "asked_in": None, "prompt": prompt,
                                         "prefill": prefill, "data": data}
        # Stored before it is shown: a store that cannot keep it (a full disk) fails the
        # command before the user sees a question whose answer would reach nothing (and
        # in a private chat be answered as a paid chat message).
        await store.put_pending(*key, kind=kind, payload=payload, ttl_s=ttl_s)
        try:
            asked_in = await self.responder.ask(Question(prompt, prefill, token))
        except BaseException:
            await _forget_question(store, key)
            raise
        if asked_in is None:
            await _forget_question(store, key)
            return False
        await store.put_pending(*key, kind=kind, payload={**payload, "asked_in": asked_in},
                                ttl_s=ttl_s)
        return True


async def _forget_question(store: Store, key: tuple[str, str, str]) -> None:
    """Drop a question that was stored but could not be shown (best effort: the failure
    that caused it is what the caller reports)."""
    try:
        await store.pop_pending(*key, include_expired=True)
    except Exception:  # the original failure matters more
        log.warning("could not drop a question that was not shown", exc_info=True)


@dataclass(frozen=True, slots=True)
class CommandContext(BaseContext):
    """A command or plain message; ``options`` are already checked and converted."""

    invocation: Invocation
    options: Mapping[str, OptionValue]

    @property
    def command(self) -> str | None:
        return self.invocation.command

    def text(self, name: str) -> str | None:
        value = self.options.get(name)
        return value if isinstance(value, str) else None

    def integer(self, name: str) -> int | None:
        value = self.options.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def number(self, name: str) -> float | None:
        value = self.options.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    def flag(self, name: str) -> bool | None:
        value = self.options.get(name)
        return value if isinstance(value, bool) else None

    def attachment(self, name: str) -> Attachment | None:
        value = self.options.get(name)
        return value if isinstance(value, Attachment) else None


@dataclass(frozen=True, slots=True)
class ButtonContext(BaseContext):
    """A button press, with the stored button it refers to."""

    press: ButtonPress
    button: ButtonKey


@dataclass(frozen=True, slots=True)
class AnswerContext(BaseContext):
    """The answer to a question asked with :meth:`BaseContext.ask`.

    ``data`` is what the asker stored with the question; ``prefill`` what the question
    was pre-filled with. Ask again (``ctx.ask``) to let the user correct a bad answer."""

    answer: str
    data: JsonValue
    prefill: str
