"""The one path every event takes through the core.

An adapter calls :meth:`Dispatcher.handle` with an :class:`Invocation` (or
:meth:`Dispatcher.press` with a :class:`ButtonPress`, :meth:`Dispatcher.answer` with a
:class:`TypedAnswer`) and a responder. The dispatcher

1. finds the command (parsing ``/cmd args`` from text where the platform sends text),
   or the first message handler that accepts a plain message addressed to the bot;
2. checks the input (see :mod:`bot.core.options`) before anything costs money
   (steps 1 and 2: :mod:`bot.core.resolver`);
3. passes the gate (:mod:`bot.core.gate`): access rules, limits, and the credits reserved
   for the declared capability and price — here and nowhere else;
4. runs the middleware chain and the handler, then settles the reservation;
5. turns every failure into a short message (:mod:`bot.core.failures`). Unexpected
   exceptions are logged with their traceback and answered with ``generic.error``: no
   traceback ever reaches a user.

Commands are declared, not registered at import: each ``bot/commands/<feature>.py``
exposes tuples of :class:`CommandSpec` / :class:`MessageRoute` / :class:`ButtonRoute` /
:class:`QuestionRoute` (:mod:`bot.core.routes`, re-exported here), and the composition
root hands them to the dispatcher. Whether typed text answers a pending question is
decided in :mod:`bot.core.questions`; its continuation runs here like any handler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial

from bot.core.context import (
    AnswerContext,
    BaseContext,
    ButtonContext,
    CommandContext,
    Services,
)
from bot.core.errors import UserError
from bot.core.failures import describe_failure
from bot.core.gate import Gate, Guard
from bot.core.language import platform_locale, resolve_preferences
from bot.core.models import (
    ButtonPress,
    ChatRef,
    DeliveryError,
    Invocation,
    OptionValue,
    Preferences,
    Reply,
    Responder,
    TypedAnswer,
    UserRef,
)
from bot.core.prefetch import read_preferences
from bot.core.questions import take_answer
from bot.core.resolver import CommandResolver
from bot.core.routes import (
    AnswerHint,
    ButtonRoute,
    CommandHandler,
    CommandSpec,
    MessageRoute,
    Next,
    QuestionRoute,
    index_commands,
)
from bot.core.texts import t
from bot.relay.errors import RelayError
from bot.store.base import EventReads

# Features and adapters import the registry's types from here (they lived here before
# bot.core.routes): one import for everything a feature hands to the dispatcher.
__all__ = [
    "AnswerHint", "ButtonRoute", "CommandHandler", "CommandSpec", "Dispatcher", "MessageRoute",
    "Middleware", "Next", "QuestionRoute",
]

log = logging.getLogger(__name__)

Middleware = Callable[[BaseContext, Next], Awaitable[None]]


class Dispatcher:
    def __init__(
        self,
        services: Services,
        *,
        commands: Sequence[CommandSpec],
        messages: Sequence[MessageRoute] = (),
        buttons: Sequence[ButtonRoute] = (),
        questions: Sequence[QuestionRoute] = (),
        middleware: Sequence[Middleware] = (),
        dynamic_choices: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._services = services
        self._commands = index_commands(commands)
        self._buttons = {route.kind: route for route in buttons}
        self._questions = {route.kind: route for route in questions}
        self._middleware = tuple(middleware)
        self._gate = Gate(services.config, services.store, services.wall_clock,
                          services.metrics, holder=services.instance)
        models = services.config.models
        self._choices: Mapping[str, Sequence[str]] = {
            "chat_models": models.chat_choices,
            **(dynamic_choices or {}),
        }
        self._resolver = CommandResolver(services, self._commands, messages, self._choices)

    @property
    def commands(self) -> tuple[CommandSpec, ...]:
        """Every command, in registration order (for /help and platform registration)."""
        return tuple(self._commands.values())

    def choices(self, name: str) -> tuple[str, ...]:
        """A configuration-dependent choice list (``OptionSpec.choices_from``)."""
        return tuple(self._choices.get(name, ()))

    async def preferences_for(
        self, user: UserRef, chat: ChatRef, *, chat_turn: bool = False
    ) -> Preferences:
        """The user's settings and the language they are answered in, read once for one
        event (see :mod:`bot.core.language`), with everything else the event will read
        about its user and place, in the same trip (:mod:`bot.core.prefetch`);
        ``chat_turn``: the event is most likely a chat message, so read the place's
        conversation and history too.

        Adapters read them for their own texts and hand them on with the event, so the
        store is not asked twice. A store failure falls back to the user's platform locale
        and no settings rather than failing the event."""
        default = self._services.config.bot.locale
        try:
            history = self._services.config.bot.history_chars if chat_turn else None
            return await read_preferences(self._services.store, user, chat, default,
                                          history_chars=history)
        except Exception:  # a language is never worth failing a command over
            log.warning("could not read the language settings; using the platform's",
                        exc_info=True)
            return Preferences(platform_locale(user, default))

    async def locale_for(self, user: UserRef, chat: ChatRef) -> str:
        """Only the language of :meth:`preferences_for` (for texts outside an event)."""
        default = self._services.config.bot.locale
        try:
            return (await resolve_preferences(self._services.store, user, chat,
                                              default)).locale
        except Exception:  # as in preferences_for
            log.warning("could not read the language settings; using the platform's",
                        exc_info=True)
            return platform_locale(user, default)

    async def handle(self, invocation: Invocation, responder: Responder) -> None:
        """Run the command or message handler for ``invocation``; never raises (but
        cancellation)."""
        preferences = invocation.preferences or await self.preferences_for(
            invocation.user, invocation.chat
        )
        locale = preferences.locale
        name = self._resolver.metric_name(invocation)
        try:
            found = self._resolver.resolve(invocation)
            if found is None:
                return
            handler, options, guard = found
            ctx = CommandContext(
                user=invocation.user,
                chat=invocation.chat,
                responder=responder,
                services=self._services,
                locale=locale,
                commands=self.commands,
                user_settings=preferences.user_settings,
                invocation=invocation,
                options=options,
                reads=preferences.reads,
            )
            await self._guarded(guard, ctx, invocation.roles, options, lambda: handler(ctx),
                                reads=preferences.reads)
        except Exception as exc:  # noqa: BLE001 - the one boundary; see _answer_failure
            self._count(name, exc)
            await self._answer_failure(exc, responder, locale, invocation)
        else:
            self._count(name, None)

    async def press(self, press: ButtonPress, responder: Responder) -> None:
        """Run the handler of a pressed button; never raises (but cancellation)."""
        preferences = press.preferences or await self.preferences_for(press.user, press.chat)
        locale = preferences.locale
        try:
            button = await self._services.store.get_button(press.key)
            route = self._buttons.get(button.kind) if button is not None else None
            if button is None or route is None:
                await responder.send(Reply(t("generic.button_expired", locale), ephemeral=True))
                return
            if not await self._may_press(press, button.job_id, button.payload):
                await responder.send(Reply(t("generic.not_your_button", locale), ephemeral=True))
                return
            ctx = ButtonContext(
                user=press.user,
                chat=press.chat,
                responder=responder,
                services=self._services,
                locale=locale,
                commands=self.commands,
                user_settings=preferences.user_settings,
                press=press,
                button=button,
            )
            # Presses count the jobs being submitted like commands do: a repeat of this
            # button is answered by its claim before it reaches the gate's reservation.
            guard = Guard(button.label or button.kind, route.capability, route.price,
                          count_submitting=True)
            claim = route.claim
            await self._guarded(
                guard, ctx, press.roles, {}, lambda: route.handler(ctx),
                around=(lambda proceed: claim(ctx, proceed)) if claim is not None else None,
                reads=preferences.reads,
            )
        except Exception as exc:  # noqa: BLE001 - the one boundary; see _answer_failure
            self._count("button", exc)
            await self._answer_failure(exc, responder, locale, None)
        else:
            self._count("button", None)

    async def answer(self, answer: TypedAnswer, responder: Responder) -> bool:
        """Give ``answer`` to the question pending for its user here, if it answers it.

        True when the text was consumed (the question's continuation ran, the question
        was cancelled with ``/cancel``, or it had expired and the user was told so);
        False when the text is not an answer and should be handled as usual.

        A failure of the continuation is answered like any handler's, and so is a store
        failure while taking the pending question (the text is then consumed: it was meant
        as an answer, and the user is told to try again); one while only reading it makes
        the text no answer."""
        try:
            taken = await take_answer(answer, responder, store=self._services.store,
                                      routes=self._questions,
                                      preferences_for=self.preferences_for)
        except Exception as exc:  # noqa: BLE001 - as a handler's failure, see _answer_failure
            self._count("answer", exc)
            failed_for = answer.preferences or await self.preferences_for(answer.user,
                                                                          answer.chat)
            await self._answer_failure(exc, responder, failed_for.locale, None,
                                       what="an answer")
            return True
        if isinstance(taken, bool):
            return taken
        route = taken.route
        preferences = answer.preferences or await self.preferences_for(answer.user, answer.chat)
        locale = preferences.locale
        prefill = taken.stored.get("prefill")
        ctx = AnswerContext(
            user=answer.user,
            chat=answer.chat,
            responder=responder,
            services=self._services,
            locale=locale,
            commands=self.commands,
            user_settings=preferences.user_settings,
            answer=taken.text,
            data=taken.stored.get("data"),
            prefill=prefill if isinstance(prefill, str) else "",
        )
        guard = Guard(route.kind, route.capability, route.price)
        try:
            await self._guarded(guard, ctx, answer.roles, {}, lambda: route.handler(ctx),
                                reads=preferences.reads)
        except Exception as exc:  # noqa: BLE001 - the one boundary; see _answer_failure
            self._count("answer", exc)
            await self._answer_failure(exc, responder, locale, None, what="an answer")
        else:
            self._count("answer", None)
        return True

    # -- internals -----------------------------------------------------------------

    def _count(self, name: str, failure: Exception | None) -> None:
        outcome = (
            "ok" if failure is None
            else "user_error" if isinstance(failure, UserError)
            else "relay_error" if isinstance(failure, RelayError)
            else "undelivered" if isinstance(failure, DeliveryError)
            else "error"
        )
        self._services.metrics.commands.labels(name, outcome).inc()

    async def _guarded(
        self,
        guard: Guard,
        ctx: BaseContext,
        roles: tuple[str, ...],
        options: Mapping[str, OptionValue],
        handler: Next,
        *,
        around: Callable[[Next], Awaitable[None]] | None = None,
        reads: EventReads | None = None,
    ) -> None:
        """The gate's access checks, ``around`` (a press's claim) if any, then the gate's
        reservation, the handler, and settling what the gate reserved. ``reads``: what was
        read for the event with its preferences (the gate reads what they do not hold)."""
        await self._gate.check_access(guard, ctx.user, ctx.chat, roles, reads)

        async def reserved() -> None:
            await self._gate.reserve(guard, ctx.user, ctx.chat, options, ctx.bill, reads)
            try:
                await self._run(ctx, handler)
            except BaseException:
                await self._gate.finish(guard, ctx.user, ctx.chat, ctx.bill, failed=True)
                raise
            await self._gate.finish(guard, ctx.user, ctx.chat, ctx.bill, failed=False)

        await (reserved() if around is None else around(reserved))

    async def _run(self, ctx: BaseContext, handler: Next, index: int = 0) -> None:
        # The next step is a partial of this method, not a closure calling itself: such a
        # closure is a reference cycle that kept every message's context alive until the
        # garbage collector's next pass instead of freeing it when the handler returns.
        if index == len(self._middleware):
            await handler()
        else:
            await self._middleware[index](ctx, partial(self._run, ctx, handler, index + 1))

    async def _may_press(self, press: ButtonPress, job_id: int | None, payload: object) -> bool:
        """Buttons belong to whoever ran the command, unless the operator allows anyone.

        The owner is the job's user, or ``payload["owner"]`` for buttons without a job."""
        if self._services.config.bot.anyone_can_press:
            return True
        owner: object = None
        if job_id is not None:
            job = await self._services.store.get_job(job_id)
            owner = job.user_id if job is not None else None
        elif isinstance(payload, dict):
            owner = payload.get("owner")
        return owner is None or owner == press.user.id

    async def _answer_failure(
        self,
        exc: Exception,
        responder: Responder,
        locale: str,
        invocation: Invocation | None,
        *,
        what: str = "a button press",
    ) -> None:
        if isinstance(exc, DeliveryError):
            log.warning("could not deliver an answer: %s", exc)
            return
        text = describe_failure(exc, locale, redact=self._services.redact)
        if text is None:
            log.exception("unexpected error while handling %s", _describe(invocation, what))
            text = t("generic.error", locale)
        else:
            log.info("answered %s with %s: %s", _describe(invocation, what), type(exc).__name__,
                     exc)
        reply_to = invocation.message if invocation is not None else None
        try:
            await responder.send(Reply(text, reply_to=reply_to, ephemeral=True))
        except DeliveryError as delivery:
            log.warning("could not deliver an error message: %s", delivery)


def _describe(invocation: Invocation | None, what: str) -> str:
    if invocation is None:
        return what
    return f"/{invocation.command}" if invocation.command else "a message"
