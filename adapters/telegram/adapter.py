"""The Telegram platform: python-telegram-bot on the shared event loop.

The PTB :class:`~telegram.ext.Application` is driven by hand (``initialize``/``start``
and ``updater.start_polling``, or our webhook server) so it runs beside discord.py in
one loop (it is built and logged in by :mod:`adapters.telegram.connect`). Each update
starts its own task (:mod:`adapters.telegram.tasks`), so a long answer in one chat never
holds up another chat, and a question asked with ForceReply can be answered while its
command waits. Messages become :class:`Invocation` values (albums first gathered into one),
callback queries become :class:`ButtonPress` values; replies go out through
:class:`~adapters.telegram.responder.TelegramResponder`.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from telegram import CallbackQuery, Message, Update, User
from telegram.constants import ChatAction
from telegram.ext import ContextTypes, TypeHandler

from adapters.base import CoreHandler, Host
from adapters.telegram.attachments import AlbumCollector, attachments_of
from adapters.telegram.connect import (
    PtbApp,
    initialize_or_explain,
    ptb_application,
    register_commands,
)
from adapters.telegram.convert import (
    Addressing,
    chat_action_for,
    chat_ref,
    message_ref,
    public_name,
    read_addressing,
    real_reply,
    thread_of,
    user_ref,
    with_start_as_help,
)
from adapters.telegram.outbox import Outbox
from adapters.telegram.pacing import Pacer
from adapters.telegram.responder import PressResponder, TelegramResponder, telegram_limits
from adapters.telegram.tasks import UpdateTasks
from adapters.telegram.webhook import ALLOWED_UPDATES, WebhookServer, WebhookSettings
from bot.config import AppConfig, TelegramConfig
from bot.core.context import Clock, Sleep
from bot.core.models import (
    ButtonPress,
    ChatRef,
    Invocation,
    MessageRef,
    PlatformLimits,
    Preferences,
    TypedAnswer,
    UserRef,
)
from bot.core.texts import normalise_locale
from bot.proxy import effective_proxy

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """Tuning beyond :class:`~bot.config.TelegramConfig`; the defaults suit production."""

    poll_timeout_s: float = 10.0  # getUpdates long-poll
    webhook: WebhookSettings | None = None  # receive updates by webhook instead of polling
    album_wait_s: float = 0.8  # quiet time that ends an album
    press_ack_s: float = 1.0  # a button's spinner stops at the latest after this
    shutdown_grace_s: float = 5.0  # running work may finish this long on stop
    register_commands: bool = True  # setMyCommands (only when the list changed)
    proxy: str | None = None  # http(s):// or socks5:// URL for every Bot API call
    # False: send only (job results from a process sharing the store); another process
    # receives the updates, by polling or by the webhook.
    receive: bool = True


class TelegramAdapter:
    name = "telegram"

    def __init__(
        self,
        config: TelegramConfig,
        core: CoreHandler,
        *,
        locale: str = "en",
        edit_interval_s: float = 1.0,
        settings: TelegramSettings | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self._config = config
        self._core = core
        self._commands = {spec.name: spec for spec in core.commands}
        self._locale = normalise_locale(locale)
        self._settings = settings or TelegramSettings()
        self._sleep = sleep
        self._clock = clock
        self._limits = telegram_limits(edit_interval_s)
        self._albums = AlbumCollector(self._on_album, quiet_s=self._settings.album_wait_s)
        self._tasks = UpdateTasks(shutdown_grace_s=self._settings.shutdown_grace_s, log=log)
        self._app: PtbApp | None = None
        self._outbox: Outbox | None = None
        self._me: User | None = None
        self._webhook: WebhookServer | None = None

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    @property
    def webhook_port(self) -> int | None:
        """The port the webhook server listens on (useful with ``listen_port=0``)."""
        return self._webhook.port if self._webhook is not None else None

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        receive = self._settings.receive
        app = ptb_application(self._config, proxy=self._settings.proxy,
                              polls=receive and self._settings.webhook is None)
        app.add_handler(TypeHandler(Update, self._on_update))
        await initialize_or_explain(app)
        self._me = app.bot.bot
        pacer = Pacer(clock=self._clock, sleep=self._sleep,
                      edit_interval_s=self._limits.edit_interval_s)
        self._outbox = Outbox(app.bot, pacer, sleep=self._sleep)
        if not receive:
            # Telegram gives updates to one receiver only: polling here would take them
            # from it (409 Conflict), and setting a webhook would replace its URL.
            self._app = app
            log.info("Telegram bot @%s: sending only (receive = false)", self._me.username)
            return
        if self._settings.register_commands:
            await register_commands(app.bot, self._commands.values(), self._locale, log=log)
        await app.start()
        self._app = app
        if self._settings.webhook is not None:
            self._webhook = WebhookServer(app, self._settings.webhook)
            await self._webhook.start()
        elif app.updater is not None:
            await app.updater.start_polling(
                timeout=dtm.timedelta(seconds=self._settings.poll_timeout_s),
                allowed_updates=list(ALLOWED_UPDATES),
            )
        log.info("Telegram bot @%s is running", self._me.username)

    async def stop(self) -> None:
        app, self._app = self._app, None
        if app is None:
            return
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        elif app.updater is not None and app.updater.running:
            await app.updater.stop()
        # Updates already fetched (and confirmed to Telegram) are still in PTB's queue;
        # app.stop() runs them through _on_update, so their work must start before the
        # grace period below, not after the bot's connection is shut down.
        if app.running:
            await app.stop()
        await self._albums.close()
        await self._tasks.finish()
        await app.shutdown()

    async def settled(self) -> None:
        """Wait until the work of every update received so far is done (tests use it)."""
        await self._tasks.settled()

    def responder_for(self, chat: ChatRef) -> TelegramResponder:
        """A responder for messages outside any invocation (job progress and results)."""
        return TelegramResponder(self._running_outbox(), chat, limits=self._limits,
                                 locale=self._locale)

    # -- updates ---------------------------------------------------------------------

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            query = update.callback_query
            self._tasks.spawn(self._press(query),
                        query.message.chat.id if query.message is not None else None)
        elif update.message is not None:
            self._on_message(update.message)

    def _on_message(self, message: Message) -> None:
        if message.from_user is None or message.from_user.is_bot:
            return
        if message.media_group_id is not None:
            self._albums.add(message)
            return
        self._tasks.spawn(self._answer_or_handle(message), message.chat.id)

    async def _answer_or_handle(self, message: Message) -> None:
        """A text may answer the sender's open question (stored by the core, so also one
        asked before a restart): a reply to the question, or any text in a private chat."""
        if message.text is not None and message.from_user is not None:
            replied = real_reply(message)
            chat = chat_ref(message.chat, thread_of(message))
            user = user_ref(message.from_user)
            addressing = read_addressing(message, self._running_me())
            preferences = await self._core.preferences_for(
                user, chat, chat_turn=self._likely_chat_turn(addressing, chat, message.chat.id)
            )
            answer = TypedAnswer(
                user=user, chat=chat, text=message.text,
                replied_to=str(replied.message_id) if replied is not None else None,
                anywhere=chat.is_private, message=message_ref(message), preferences=preferences,
            )
            responder = self._responder(
                chat, user, answer.message, ChatAction.TYPING, preferences.locale,
                public_name(message.chat),
            )
            if await self._core.answer(answer, responder):
                return
            await self._handle((message,), preferences, addressing)
            return
        await self._handle((message,))

    def _likely_chat_turn(self, addressing: Addressing, chat: ChatRef, chat_id: int) -> bool:
        """Whether a text will most likely be a chat turn (a command that is one, such as
        ``/chat``, or a plain message to the bot), so that its conversation is read with
        its preferences in one trip. A wrong guess costs a read, never a wrong answer.

        Not while another update of the chat is being handled (updates fetched together,
        an answer still streaming): one of them may change the conversation (``/reset``,
        ``/persona``), so the turn reads it after the gate, as it always did."""
        if self._tasks.in_flight(chat_id) > 1:
            return False
        if addressing.command is not None:
            spec = self._commands.get(addressing.command)
            return spec is not None and spec.conversation and not addressing.for_other_bot
        return chat.is_private or addressing.mentioned or addressing.replied_to_bot

    def _on_album(self, messages: Sequence[Message]) -> None:
        self._tasks.spawn(self._handle(messages), messages[0].chat.id)

    async def _handle(
        self, messages: Sequence[Message], preferences: Preferences | None = None,
        addressing: Addressing | None = None,
    ) -> None:
        """``preferences`` and ``addressing``: already read for this event's one message
        (by ``_answer_or_handle``)."""
        outbox, me = self._running_outbox(), self._running_me()
        lead = next((m for m in messages if m.text or m.caption), messages[0])
        if lead.from_user is None:
            return
        if addressing is None:
            addressing = read_addressing(lead, me)
        if addressing.for_other_bot:
            return
        attachments = [a for message in messages for a in attachments_of(message, outbox.bot)]
        replied = real_reply(lead)
        if replied is not None:
            attachments.extend(attachments_of(replied, outbox.bot))
        if not addressing.text.strip() and not attachments:
            return  # service messages: topic created, members joined...
        user = user_ref(lead.from_user)
        chat = chat_ref(lead.chat, thread_of(lead))
        invocation = Invocation(
            user=user,
            chat=chat,
            text=with_start_as_help(addressing.text, addressing.command, self._commands),
            attachments=tuple(attachments),
            mentioned=addressing.mentioned,
            replied_to_bot=addressing.replied_to_bot,
            message=message_ref(lead),
        )
        if addressing.command is None and not invocation.addressed_to_bot:
            return  # group chatter the bot was not asked about
        if preferences is None:
            preferences = await self._core.preferences_for(user, chat)
        spec = self._commands.get(addressing.command or "")
        responder = self._responder(
            chat, user, invocation.message, chat_action_for(spec), preferences.locale,
            public_name(lead.chat),
        )
        await self._core.handle(replace(invocation, preferences=preferences), responder)

    async def _press(self, query: CallbackQuery) -> None:
        outbox = self._running_outbox()
        message = query.message
        if message is None or not query.data:
            await outbox.answer_callback(query.id)
            return
        if isinstance(message, Message):
            chat, pressed = chat_ref(message.chat, thread_of(message)), message_ref(message)
        else:
            chat = chat_ref(message.chat)
            pressed = MessageRef(str(message.chat.id), str(message.message_id))
        user = user_ref(query.from_user)
        preferences = await self._core.preferences_for(user, chat)
        inner = self._responder(chat, user, pressed, chat_action_for(None), preferences.locale,
                                public_name(message.chat))
        responder = PressResponder(inner, outbox, query.id, pressed)
        press = ButtonPress(user, chat, query.data, pressed, preferences=preferences)
        work = asyncio.ensure_future(self._core.press(press, responder))
        try:
            await asyncio.wait({work}, timeout=self._settings.press_ack_s)
            if not work.done():
                await responder.acknowledge()
            await work
            await responder.acknowledge()
        finally:
            if not work.done():
                work.cancel()

    # -- helpers ---------------------------------------------------------------------

    def _responder(self, chat: ChatRef, user: UserRef, origin: MessageRef | None,
                   action: ChatAction, locale: str, public: str | None) -> TelegramResponder:
        return TelegramResponder(
            self._running_outbox(),
            chat,
            limits=self._limits,
            locale=locale,
            user=user,
            origin=origin,
            action=action,
            public_name=public,
        )

    def _running_outbox(self) -> Outbox:
        if self._outbox is None:
            raise RuntimeError("the Telegram adapter is not started")
        return self._outbox

    def _running_me(self) -> User:
        if self._me is None:
            raise RuntimeError("the Telegram adapter is not started")
        return self._me


def build(config: AppConfig, core: CoreHandler, host: Host) -> TelegramAdapter:
    """The Telegram adapter for ``config.telegram`` (polling, or a webhook when
    ``webhook_url`` is set), through the proxy the config chooses for Telegram; see
    :class:`~adapters.base.BuildAdapter`."""
    telegram = config.telegram
    if telegram is None:
        raise ValueError("the Telegram adapter needs a [telegram] section")
    webhook = None
    if telegram.webhook_url is not None:
        secret = telegram.webhook_secret
        webhook = WebhookSettings(
            url=telegram.webhook_url,
            listen_host=telegram.webhook_listen_host,
            listen_port=telegram.webhook_listen_port,
            path=telegram.webhook_path,
            secret_token=secret.reveal() if secret is not None else None,
        )
    return TelegramAdapter(
        telegram,
        core,
        locale=config.bot.locale,
        edit_interval_s=config.bot.edit_interval_s,
        settings=TelegramSettings(
            poll_timeout_s=telegram.poll_timeout_s,
            webhook=webhook,
            proxy=effective_proxy(config.proxy_for("telegram"),
                                  trust_env=config.network.trust_env, target_url=telegram.base_url),
            receive=telegram.receive,
        ),
        sleep=host.sleep,
        clock=host.clock,
    )
