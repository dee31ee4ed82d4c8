"""The command registry and the one path every event takes through the core.

An adapter calls :meth:`Dispatcher.handle` with an :class:`Invocation` (or
:meth:`Dispatcher.press` with a :class:`ButtonPress`, :meth:`Dispatcher.answer` with a
:class:`TypedAnswer`) and a responder. The dispatcher

1. finds the command (parsing ``/cmd args`` from text where the platform sends text),
   or the first message handler that accepts a plain message addressed to the bot;
2. checks the input (see :mod:`bot.core.options`) before anything costs money;
3. passes the gate (:mod:`bot.core.gate`): access rules, limits, and the credits reserved
   for the declared capability and price — here and nowhere else;
4. runs the middleware chain and the handler, then settles the reservation;
5. turns every failure into a short message (:mod:`bot.core.failures`). Unexpected
   exceptions are logged with their traceback and answered with ``generic.error``: no
   traceback ever reaches a user.

Commands are declared, not registered at import: each ``bot/commands/<feature>.py``
exposes tuples of :class:`CommandSpec` / :class:`MessageRoute` / :class:`ButtonRoute` /
:class:`QuestionRoute`, and the composition root hands them to the dispatcher.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from bot.core.context import (
    AnswerContext,
    BaseContext,
    ButtonContext,
    CommandContext,
    Services,
    question_scope,
)
from bot.core.errors import UserError
from bot.core.failures import describe_failure
from bot.core.gate import Gate, Guard, Price
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
from bot.core.options import (
    OptionSpec,
    assign_attachments,
    parse_command,
    parse_text_options,
    parse_word_options,
    placeholder,
    validate_options,
)
from bot.core.texts import DEFAULT_LOCALE, has_text, t
from bot.relay.errors import RelayError
from bot.store.base import PendingInput

log = logging.getLogger(__name__)

CommandHandler = Callable[[CommandContext], Awaitable[None]]
ButtonHandler = Callable[[ButtonContext], Awaitable[None]]
AnswerHandler = Callable[[AnswerContext], Awaitable[None]]
Next = Callable[[], Awaitable[None]]
Middleware = Callable[[BaseContext, Next], Awaitable[None]]
# Runs a press between the access checks and the reservation: ``proceed`` reserves, runs
# the handler and settles (see ButtonRoute.claim).
PressClaim = Callable[[ButtonContext, Next], Awaitable[None]]

_NAME_RE: Final = re.compile(r"^[a-z0-9_]{1,32}$")  # Discord's and Telegram's rule
# The kind of a question already answered (see Dispatcher._remember_answered).
_ANSWERED: Final = "answered"
_CANCEL_RE: Final = re.compile(r"^/cancel(?:@\w+)?(?:\s|$)", re.IGNORECASE)

AnswerHint = Literal["text", "image", "speech", "music", "video"]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command. Its texts live in the catalogue: ``cmd.<name>`` is the one-line
    description (``/help``, platform menus) and ``cmd.<name>.<option>`` describes each
    option. ``main`` names the option(s) free text goes to; with two or more, the text
    is split at ``|`` (``/similar a | b``).

    The hints tell adapters how to present the command without knowing its name:
    ``answer`` is what the answer mostly is (Telegram shows "sending photo…",
    "recording voice…" while it runs); ``conversation`` marks a turn of a conversation
    (Discord opens a thread for it when ``thread_per_conversation`` is on, named after
    the main text)."""

    name: str
    handler: CommandHandler
    options: tuple[OptionSpec, ...] = ()
    main: tuple[str, ...] = ()
    answer: AnswerHint = "text"
    conversation: bool = False
    capability: str | None = None  # what [access.only] and statistics count it as
    price: Price | None = None  # None: free
    admin: bool = False  # only [access] admins may run it
    # A command made of subcommands (``/admin grant <who> <credits>``): each is a
    # CommandSpec with ``parent`` set; the parent's handler is not used then. Typed as text
    # ``/admin grant telegram:42 50``: one word per option, in order.
    subcommands: tuple[CommandSpec, ...] = ()
    parent: str = ""

    @property
    def guard(self) -> Guard:
        return Guard(f"/{self.name}", self.capability, self.price, self.admin,
                     count_submitting=True)

    @property
    def qualified_name(self) -> str:
        return f"{self.parent} {self.name}" if self.parent else self.name

    @property
    def description_key(self) -> str:
        return f"cmd.{self.qualified_name.replace(' ', '.')}"

    def option_key(self, option: str) -> str:
        return f"{self.description_key}.{option}"

    def subcommand(self, name: str | None) -> CommandSpec | None:
        return next((s for s in self.subcommands if s.name == name), None)

    def usage(self, locale: str = DEFAULT_LOCALE) -> str:
        """``<prompt> [model=…]``, ``<a> | <b>``: main text options come first, without
        their name, separated by ``|`` as they are typed; subcommands as ``a|b|c``.
        Placeholders are words of ``locale`` (``<提示词> [image=文件]``); option and
        subcommand names stay as they are typed."""
        if self.subcommands:
            return "|".join(s.name for s in self.subcommands) + " …"

        def bare(o: OptionSpec) -> str:
            word = placeholder(o.name, locale)
            return f"<{word}>" if o.required else f"[{word}]"

        if self.parent:
            return " ".join(bare(o) for o in self.options)
        main = [bare(o) for o in self.options if o.name in self.main and o.type != "attachment"]
        rest = [
            o.usage(locale)
            for o in self.options
            if o.name not in self.main or o.type == "attachment"
        ]
        return " ".join(part for part in (" | ".join(main), *rest) if part)


@dataclass(frozen=True, slots=True)
class MessageRoute:
    """Handles plain messages addressed to the bot (private chat, mention or reply).

    Routes are tried in order; the first whose ``accepts`` is true handles the message
    (e.g. voice messages → transcribe-then-chat before text → chat)."""

    name: str
    accepts: Callable[[Invocation], bool]
    handler: CommandHandler
    capability: str | None = None
    price: Price | None = None


@dataclass(frozen=True, slots=True)
class ButtonRoute:
    """Handles presses of stored buttons whose ``ButtonKey.kind`` is ``kind``."""

    kind: str
    handler: ButtonHandler
    capability: str | None = None
    price: Price | None = None
    # Taken after the access checks and before anything is reserved (the one-press claim,
    # bot.commands.presses.once_per_button): a repeated press is answered by it without
    # reaching the credits or limits, and a refused user never holds the button.
    claim: PressClaim | None = None


@dataclass(frozen=True, slots=True)
class QuestionRoute:
    """Continues a command when the answer to a question of ``kind`` arrives
    (``ctx.ask(kind, ...)``): the continuation registry, as ``ButtonRoute`` is for
    buttons. The question lives in the store, so the answer may come to another process
    or after a restart; the handler gets only what the asker stored with it."""

    kind: str
    handler: AnswerHandler
    # An answer that starts paid work passes the gate like a command (a remix prompt).
    capability: str | None = None
    price: Price | None = None


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
        self._commands = _index_commands(commands)
        self._messages = tuple(messages)
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

    @property
    def commands(self) -> tuple[CommandSpec, ...]:
        """Every command, in registration order (for /help and platform registration)."""
        return tuple(self._commands.values())

    def choices(self, name: str) -> tuple[str, ...]:
        """A configuration-dependent choice list (``OptionSpec.choices_from``)."""
        return tuple(self._choices.get(name, ()))

    async def preferences_for(self, user: UserRef, chat: ChatRef) -> Preferences:
        """The user's settings and the language they are answered in, read once for one
        event (see :mod:`bot.core.language`).

        Adapters read them for their own texts and hand them on with the event, so the
        store is not asked twice. A store failure falls back to the user's platform locale
        and no settings rather than failing the event."""
        default = self._services.config.bot.locale
        try:
            return await resolve_preferences(self._services.store, user, chat, default)
        except Exception:  # a language is never worth failing a command over
            log.warning("could not read the language settings; using the platform's",
                        exc_info=True)
            return Preferences(platform_locale(user, default))

    async def locale_for(self, user: UserRef, chat: ChatRef) -> str:
        """Only the language of :meth:`preferences_for` (for texts outside an event)."""
        return (await self.preferences_for(user, chat)).locale

    async def handle(self, invocation: Invocation, responder: Responder) -> None:
        """Run the command or message handler for ``invocation``; never raises (but
        cancellation)."""
        preferences = invocation.preferences or await self.preferences_for(
            invocation.user, invocation.chat
        )
        locale = preferences.locale
        name = self._metric_name(invocation)
        try:
            found = self._resolve(invocation)
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
            )
            await self._guarded(guard, ctx, invocation.roles, options, lambda: handler(ctx))
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
        False when the text is not an answer and should be handled as usual. Never
        raises (but cancellation)."""
        store = self._services.store
        key = (answer.chat.platform, question_scope(answer.chat), answer.user.id)
        try:
            pending = await store.get_pending(*key, include_expired=True)
        except Exception:  # a store failure must not swallow the text: it is handled as usual
            log.warning("could not read pending questions", exc_info=True)
            return False
        route = self._questions.get(pending.kind) if pending is not None else None
        payload = pending.payload if pending is not None else None
        stored = payload if isinstance(payload, dict) else {}
        text = answer.text.strip()
        if pending is not None and pending.kind == _ANSWERED:
            if _answers_exactly(answer, stored) and not text.startswith("/"):
                await self._notify(responder, "questions.answered", answer)
                return True
            return False
        if answer.token is not None:
            if pending is None or route is None or answer.token != stored.get("token"):
                # A form filled in for a question already answered, replaced or gone.
                await self._notify(responder, "questions.expired", answer)
                return True
        elif pending is None or route is None:
            return False  # nothing asked, or an input the user gives otherwise (/mask)
        elif text.startswith("/"):
            if pending.expired:
                return False
            await store.pop_pending(*key, only=pending)
            if _CANCEL_RE.match(text) is None:
                return False  # another command: it runs, and the question is dropped
            await self._notify(responder, "questions.cancelled", answer)
            return True
        elif not _answers(answer, pending.expired, stored.get("asked_in")):
            return False
        taken = await store.pop_pending(*key, include_expired=True, only=pending)
        if taken is None:
            # A concurrent answer took it first (a double send, another process), or a
            # newer question replaced it (which stays for its own answer): this one
            # answered the question it saw, so it is no chat message either.
            if _answers_exactly(answer, stored):
                await self._notify(responder, "questions.answered", answer)
                return True
            return False
        if taken.expired or not text:
            key_text = "questions.expired" if taken.expired else "questions.cancelled"
            await self._notify(responder, key_text, answer)
            return True
        await self._remember_answered(key, taken)
        preferences = answer.preferences or await self.preferences_for(answer.user, answer.chat)
        locale = preferences.locale
        prefill = stored.get("prefill")
        ctx = AnswerContext(
            user=answer.user,
            chat=answer.chat,
            responder=responder,
            services=self._services,
            locale=locale,
            commands=self.commands,
            user_settings=preferences.user_settings,
            answer=text,
            data=stored.get("data"),
            prefill=prefill if isinstance(prefill, str) else "",
        )
        guard = Guard(route.kind, route.capability, route.price)
        try:
            await self._guarded(guard, ctx, answer.roles, {}, lambda: route.handler(ctx))
        except Exception as exc:  # noqa: BLE001 - the one boundary; see _answer_failure
            self._count("answer", exc)
            await self._answer_failure(exc, responder, locale, None, what="an answer")
        else:
            self._count("answer", None)
        return True

    async def _remember_answered(self, key: tuple[str, str, str], taken: PendingInput) -> None:
        """Keep what identifies an answered question for as long as it was open, so a
        second reply to it (a double send) is told so instead of being chatted. A question
        the continuation asks next replaces it."""
        stored = taken.payload if isinstance(taken.payload, dict) else {}
        try:
            await self._services.store.put_pending(
                *key, kind=_ANSWERED, ttl_s=max(1.0, taken.expires_at - taken.created_at),
                payload={"token": stored.get("token"), "asked_in": stored.get("asked_in")},
            )
        except Exception:  # only a courtesy: the answer itself goes on
            log.warning("could not remember an answered question", exc_info=True)

    async def _notify(self, responder: Responder, key: str, answer: TypedAnswer) -> None:
        preferences = answer.preferences or await self.preferences_for(answer.user, answer.chat)
        text = t(key, preferences.locale)
        try:
            await responder.send(Reply(text, reply_to=answer.message, ephemeral=True))
        except DeliveryError as exc:
            log.warning("could not deliver a notice: %s", exc)

    # -- internals -----------------------------------------------------------------

    def _metric_name(self, invocation: Invocation) -> str:
        """The command's name; "message" for plain messages; "unknown" for names we do
        not have (a bounded label set, whatever users type)."""
        name = invocation.command
        if name is None:
            parsed = parse_command(invocation.text)
            if parsed is None:
                return "message"
            name = parsed.name
        return name if name in self._commands else "unknown"

    def _count(self, name: str, failure: Exception | None) -> None:
        outcome = (
            "ok" if failure is None
            else "user_error" if isinstance(failure, UserError)
            else "relay_error" if isinstance(failure, RelayError)
            else "undelivered" if isinstance(failure, DeliveryError)
            else "error"
        )
        self._services.metrics.commands.labels(name, outcome).inc()

    def _resolve(
        self, invocation: Invocation
    ) -> tuple[CommandHandler, dict[str, OptionValue], Guard] | None:
        """The handler, checked options and guard, or None when the event is not for us.

        Raises :class:`UserError` for unknown commands and bad input."""
        name = invocation.command
        raw: Mapping[str, OptionValue] = invocation.options
        sub_name = invocation.subcommand
        if name is None:
            parsed = parse_command(invocation.text)
            if parsed is None:
                route = self._message_route(invocation)
                if route is None:
                    return None
                return route.handler, {}, Guard(route.name, route.capability, route.price)
            name = parsed.name
            spec = self._commands.get(name)
            if spec is None:
                raise _unknown(name)
            if spec.subcommands:
                sub_name, _, rest = parsed.rest.strip().partition(" ")
                sub = spec.subcommand(sub_name.lower())
                raw = parse_word_options(rest, sub.options, sub.qualified_name) if sub else {}
            else:
                # A text platform may have read some options itself (the console's
                # image=file:PATH); those come in ``options``.
                raw = {**parse_text_options(parsed.rest, spec.options, spec.main, spec.name),
                       **invocation.options}
        spec = self._commands.get(name)
        if spec is None:
            raise _unknown(name)
        target = spec
        if spec.subcommands:
            found = spec.subcommand(sub_name.lower() if sub_name else None)
            if found is None:
                names = ", ".join(s.name for s in spec.subcommands)
                raise UserError("input.subcommand", command=spec.name, subcommands=names)
            target = found
        with_files = assign_attachments(target.options, raw, invocation.attachments)
        options = validate_options(
            target.qualified_name,
            target.options,
            with_files,
            default_max_length=self._services.config.bot.max_prompt_chars,
            dynamic_choices=self._choices,
        )
        return target.handler, options, spec.guard

    def _message_route(self, invocation: Invocation) -> MessageRoute | None:
        if not invocation.addressed_to_bot:
            return None
        return next((r for r in self._messages if r.accepts(invocation)), None)

    async def _guarded(
        self,
        guard: Guard,
        ctx: BaseContext,
        roles: tuple[str, ...],
        options: Mapping[str, OptionValue],
        handler: Next,
        *,
        around: Callable[[Next], Awaitable[None]] | None = None,
    ) -> None:
        """The gate's access checks, ``around`` (a press's claim) if any, then the gate's
        reservation, the handler, and settling what the gate reserved."""
        await self._gate.check_access(guard, ctx.user, ctx.chat, roles)

        async def reserved() -> None:
            await self._gate.reserve(guard, ctx.user, ctx.chat, options, ctx.bill)
            try:
                await self._run(ctx, handler)
            except BaseException:
                await self._gate.finish(guard, ctx.user, ctx.chat, ctx.bill, failed=True)
                raise
            await self._gate.finish(guard, ctx.user, ctx.chat, ctx.bill, failed=False)

        await (reserved() if around is None else around(reserved))

    async def _run(self, ctx: BaseContext, handler: Next) -> None:
        async def call(index: int) -> None:
            if index == len(self._middleware):
                await handler()
            else:
                await self._middleware[index](ctx, lambda: call(index + 1))

        await call(0)

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


def _answers_exactly(answer: TypedAnswer, stored: Mapping[str, object]) -> bool:
    """Whether the answer names this very question: a reply to its message or its form."""
    if answer.token is not None:
        return answer.token == stored.get("token")
    asked_in = stored.get("asked_in")
    return bool(asked_in) and answer.replied_to == asked_in


def _answers(answer: TypedAnswer, expired: bool, asked_in: object) -> bool:
    """Whether typed text answers the question: a reply to the message that asked (also
    when expired: it is told so), or any text where the platform allows, while it is
    open (an expired question does not swallow later chatter)."""
    if answer.replied_to is not None and answer.replied_to == asked_in:
        return True
    return answer.anywhere and not expired


def _unknown(name: str) -> UserError:
    return UserError("generic.unknown_command", command=name)


def _describe(invocation: Invocation | None, what: str) -> str:
    if invocation is None:
        return what
    return f"/{invocation.command}" if invocation.command else "a message"


def _index_commands(commands: Sequence[CommandSpec]) -> dict[str, CommandSpec]:
    """Refuse duplicate or invalid names and commands without catalogue texts."""
    index: dict[str, CommandSpec] = {}
    for spec in commands:
        if spec.name in index:
            raise ValueError(f"command /{spec.name} registered twice")
        _check_spec(spec)
        for sub in spec.subcommands:
            if sub.parent != spec.name:
                raise ValueError(f"/{spec.name} {sub.name}: its parent must be {spec.name!r}")
        _index_commands(spec.subcommands)
        index[spec.name] = spec
    return index


def _check_spec(spec: CommandSpec) -> None:
    if not _NAME_RE.match(spec.name):
        raise ValueError(f"invalid command name {spec.name!r}")
    names = {o.name for o in spec.options}
    missing = [m for m in spec.main if m not in names]
    if missing:
        raise ValueError(f"/{spec.qualified_name}: main option(s) {missing} are not options")
    keys = [spec.description_key, *(spec.option_key(o.name) for o in spec.options)]
    absent = [k for k in keys if not has_text(k)]
    if absent:
        raise ValueError(f"/{spec.qualified_name}: texts missing from the catalogue: {absent}")
