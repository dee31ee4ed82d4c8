"""The dispatcher end to end: real store, real relay client, simulated relay."""

from __future__ import annotations

import gc
import logging
from dataclasses import replace

import pytest

from bot.commands import all_commands, build_dispatcher
from bot.core.context import BaseContext, CommandContext
from bot.core.dispatcher import CommandSpec, Dispatcher, MessageRoute, Next
from bot.core.models import (
    ButtonPress,
    ChatRef,
    DeliveryError,
    Invocation,
    MessageRef,
    Reply,
    UserRef,
)
from bot.core.options import OptionSpec
from bot.core.texts import t
from bot.sim import Fault
from bot.store.base import SettingScope
from tests.core.conftest import World
from tests.fakes.responder import RecordingResponder

ALICE = UserRef("u1", "alice")
BOB = UserRef("u2", "bob")
PRIVATE = ChatRef("test", "c1")
GROUP = ChatRef("test", "g1", is_private=False)


def say(text: str, *, user: UserRef = ALICE, chat: ChatRef = PRIVATE, **kw: object) -> Invocation:
    return Invocation(user=user, chat=chat, text=text, **kw)  # type: ignore[arg-type]


async def test_unknown_command_points_to_help(world: World) -> None:
    responder = RecordingResponder()
    await build_dispatcher(world.services).handle(say("/frobnicate now"), responder)
    assert responder.sent_texts() == [t("generic.unknown_command", command="frobnicate")]


async def test_input_is_checked_before_the_relay_is_called(world: World) -> None:
    responder = RecordingResponder()
    dispatcher = build_dispatcher(world.services)
    await dispatcher.handle(say("/chat"), responder)
    await dispatcher.handle(say("/chat hi model=gpt-99"), responder)
    await dispatcher.handle(say("/chat " + "x" * 5000), responder)
    first, second, third = responder.sent_texts()
    assert first.startswith("Missing “prompt”.")
    assert second.startswith("“gpt-99” is not an available model. Available: gpt-4o-mini")
    assert third == "prompt is too long: 5000 characters, at most 4000 are allowed."
    assert world.sim.requests_to("/v1/chat/completions") == []


async def test_relay_errors_become_specific_messages(world: World) -> None:
    world.sim.add_fault(
        Fault("POST", "/v1/chat/completions", status=429, headers={"Retry-After": "2"})
    )
    world.sim.add_fault(Fault("POST", "/v1/chat/completions", status=401))
    responder = RecordingResponder()
    dispatcher = build_dispatcher(world.services)
    await dispatcher.handle(say("/chat hello"), responder)
    await dispatcher.handle(say("/chat hello"), responder)
    assert responder.sent_texts() == [
        t("error.rate_limited_retry", seconds=2),
        t("error.auth"),
    ]


async def test_unexpected_errors_are_logged_and_answered_politely(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ctx: CommandContext) -> None:
        raise ZeroDivisionError("secret internals")

    dispatcher = Dispatcher(world.services, commands=[CommandSpec("help", broken)])
    responder = RecordingResponder()
    with caplog.at_level(logging.ERROR):
        await dispatcher.handle(say("/help"), responder)
    assert responder.sent_texts() == [t("generic.error")]
    assert "ZeroDivisionError" in caplog.text


async def test_middleware_runs_in_order_and_may_stop_a_command(world: World) -> None:
    calls: list[str] = []

    async def outer(ctx: BaseContext, call_next: Next) -> None:
        calls.append("outer")
        await call_next()

    async def gate(ctx: BaseContext, call_next: Next) -> None:
        calls.append("gate")
        if ctx.user.id == BOB.id:
            await ctx.reply("not for you")
            return
        await call_next()

    async def hello(ctx: CommandContext) -> None:
        calls.append("handler")
        await ctx.reply("hi")

    dispatcher = Dispatcher(
        world.services, commands=[CommandSpec("help", hello)], middleware=[outer, gate]
    )
    responder = RecordingResponder()
    await dispatcher.handle(say("/help"), responder)
    await dispatcher.handle(say("/help", user=BOB), responder)
    assert calls == ["outer", "gate", "handler", "outer", "gate"]
    assert responder.sent_texts() == ["hi", "not for you"]


async def test_a_handled_command_leaves_its_context_to_no_garbage_collector(
    world: World,
) -> None:
    """A message's context, with all it holds, is freed when its handling ends: a reference
    cycle through the middleware chain would keep it until the collector's next pass."""

    async def passing(ctx: BaseContext, call_next: Next) -> None:
        await call_next()

    async def hello(ctx: CommandContext) -> None:
        await ctx.reply("hi")

    dispatcher = Dispatcher(
        world.services, commands=[CommandSpec("help", hello)], middleware=[passing, passing]
    )
    responder = RecordingResponder()
    gc.collect()
    gc.disable()
    try:
        await dispatcher.handle(say("/help"), responder)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        kept = [kind for kind in map(type, gc.garbage) if issubclass(kind, BaseContext)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert responder.sent_texts() == ["hi"]
    assert kept == []


async def test_group_messages_need_a_mention_or_reply(world: World) -> None:
    seen: list[str] = []

    async def echo(ctx: CommandContext) -> None:
        seen.append(ctx.invocation.text)

    dispatcher = Dispatcher(
        world.services,
        commands=[],
        messages=[MessageRoute("echo", lambda inv: bool(inv.text), echo)],
    )
    responder = RecordingResponder()
    await dispatcher.handle(say("talking to others", chat=GROUP), responder)
    await dispatcher.handle(say("hey bot", chat=GROUP, mentioned=True), responder)
    await dispatcher.handle(say("and you", chat=GROUP, replied_to_bot=True), responder)
    await dispatcher.handle(say("in private"), responder)
    assert seen == ["hey bot", "and you", "in private"]


async def test_structured_options_are_checked_like_text(world: World) -> None:
    got: dict[str, object] = {}

    async def chat(ctx: CommandContext) -> None:
        got.update(ctx.options)

    spec = CommandSpec(
        "chat",
        chat,
        options=(
            OptionSpec("prompt", required=True),
            OptionSpec("model", choices_from="chat_models"),
        ),
    )
    dispatcher = Dispatcher(world.services, commands=[spec])
    responder = RecordingResponder()
    await dispatcher.handle(
        Invocation(ALICE, PRIVATE, command="chat", options={"prompt": "hi", "model": "GPT-4O"}),
        responder,
    )
    await dispatcher.handle(
        Invocation(ALICE, PRIVATE, command="chat", options={"prompt": "  "}), responder
    )
    assert got == {"prompt": "hi", "model": "gpt-4o"}
    assert responder.sent_texts()[0].startswith("prompt is empty.")
    assert responder.events[-1].reply.ephemeral  # input errors go to their author only


async def test_buttons_route_by_kind_and_belong_to_their_owner(world: World) -> None:
    dispatcher = build_dispatcher(world.services)
    responder = RecordingResponder()
    await dispatcher.handle(say("/model"), responder)
    menu = responder.events[-1]
    gpt4o = next(b for row in menu.reply.buttons for b in row if b.label == "gpt-4o")
    ref = MessageRef("c1", menu.message_id)

    await dispatcher.press(ButtonPress(BOB, PRIVATE, gpt4o.key, ref), responder)
    assert responder.events[-1].text == t("generic.not_your_button")
    assert responder.events[-1].reply.ephemeral  # shown to Bob alone where possible

    await dispatcher.press(ButtonPress(ALICE, PRIVATE, gpt4o.key, ref), responder)
    assert responder.events[-1].kind == "edit"
    assert responder.events[-1].text == t("model.set", model="gpt-4o")

    await dispatcher.press(ButtonPress(ALICE, PRIVATE, "no-such-key", ref), responder)
    assert responder.events[-1].text == t("generic.button_expired")
    assert responder.events[-1].reply.ephemeral

    await dispatcher.handle(say("/chat hi"), responder)
    sent = world.sim.requests_to("/v1/chat/completions")[-1].json
    assert sent is not None and sent["model"] == "gpt-4o"


async def test_delivery_failures_do_not_escape(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    class Refusing(RecordingResponder):
        async def send(self, reply: Reply) -> MessageRef:
            raise DeliveryError("chat not found")

    with caplog.at_level(logging.WARNING):
        await build_dispatcher(world.services).handle(say("/help"), Refusing())
    assert "chat not found" in caplog.text


async def test_options_from_config_limits(world: World) -> None:
    bot = replace(world.services.config.bot, max_prompt_chars=10)
    services = replace(world.services, config=replace(world.services.config, bot=bot))
    responder = RecordingResponder()
    await build_dispatcher(services).handle(say("/chat this is too long"), responder)
    assert responder.sent_texts() == ["prompt is too long: 16 characters, at most 10 are allowed."]


def test_usage_lines_show_how_commands_are_typed() -> None:
    by_name = {spec.name: spec for spec in all_commands()}
    assert by_name["chat"].usage() == "<prompt> [model=…] [image=file]"
    assert by_name["similar"].usage() == "<a> | <b>"
    assert by_name["music"].usage().startswith("[prompt] [lyrics=…]")
    assert by_name["describe"].usage() == "<image>"


async def test_nan_speed_is_refused_before_paying_for_speech(world: World) -> None:
    responder = RecordingResponder()

    await build_dispatcher(world.services).handle(
        Invocation(user=ALICE, chat=PRIVATE, text="/tts hello there speed=nan"), responder)

    assert world.sim.requests_to("/v1/audio/speech") == []
    assert len(responder.sent_texts()) == 1
    assert "speed" in responder.sent_texts()[0]
    assert not any(e.reply.files for e in responder.events)


async def test_an_event_uses_the_preferences_its_adapter_read(world: World) -> None:
    """Settings and language are read once per event: by the adapter when it has read them
    (for its own texts), else by the dispatcher; the next event reads them anew."""
    dispatcher = build_dispatcher(world.services)
    store = world.services.store
    await store.set_setting(SettingScope.USER, "test", ALICE.id, "chat_model", "gpt-4o")
    preferences = await dispatcher.preferences_for(ALICE, PRIVATE)
    assert preferences.locale == "en"
    await store.set_setting(SettingScope.USER, "test", ALICE.id, "language", "zh")

    responder = RecordingResponder()
    await dispatcher.handle(say("/chat hello", preferences=preferences), responder)
    await dispatcher.handle(say("/frobnicate", preferences=preferences), responder)
    await dispatcher.handle(say("/frobnicate"), responder)

    [asked] = world.sim.requests_to("/v1/chat/completions")
    assert asked.json["model"] == "gpt-4o"
    assert responder.sent_texts()[-2:] == [
        t("generic.unknown_command", "en", command="frobnicate"),
        t("generic.unknown_command", "zh", command="frobnicate"),
    ]


async def test_access_is_judged_on_the_rules_read_when_the_event_arrived(world: World) -> None:
    """The access rules come with the event's preferences (one trip to the store): the
    rules as stored when the event arrived decide it, the next event reads them anew, and
    preferences read for another chat do not decide access here."""
    dispatcher = build_dispatcher(world.services)
    store = world.services.store
    arrived = await dispatcher.preferences_for(ALICE, GROUP)
    read_in_private = await dispatcher.preferences_for(ALICE, PRIVATE)
    await store.set_access_rule("test:g1", "deny", at=0.0)

    responder = RecordingResponder()
    await dispatcher.handle(say("/chat first", chat=GROUP, preferences=arrived), responder)
    await dispatcher.handle(say("/chat second", chat=GROUP), responder)
    await dispatcher.handle(say("/chat third", chat=GROUP, preferences=read_in_private),
                            responder)

    [answered] = world.sim.requests_to("/v1/chat/completions")
    assert answered.json["messages"][-1]["content"] == "first"
    assert responder.sent_texts()[-2:] == [t("access.not_here")] * 2
