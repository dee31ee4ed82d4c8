"""Chatting as a user experiences it: memory, persona, reset, vision, images, failures."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.commands import build_dispatcher
from bot.core.context import Services
from bot.core.failures import describe_failure
from bot.core.models import (
    Attachment,
    ChatRef,
    Invocation,
    UserRef,
)
from bot.core.texts import t
from bot.relay import errors
from bot.sim import Fault
from bot.sim.media import make_png
from tests.core.conftest import World
from tests.fakes.responder import RecordingResponder

ALICE = UserRef("u1", "alice")
PRIVATE = ChatRef("test", "c1")
CHAT_PATH = "/v1/chat/completions"


def say(text: str, chat: ChatRef = PRIVATE, **kw: Any) -> Invocation:
    return Invocation(user=ALICE, chat=chat, text=text, **kw)


def image(data: bytes, url: str | None = None) -> Attachment:
    async def reader(limit: int) -> bytes:
        return data[:limit]

    return Attachment("image", "cat.png", "image/png", len(data), reader, url=url)


def sent_messages(world: World, index: int = -1) -> list[dict[str, Any]]:
    body = world.sim.requests_to(CHAT_PATH)[index].json
    assert isinstance(body, dict)
    messages: list[dict[str, Any]] = body["messages"]
    return messages


async def chat_lines(services: Services, *lines: str, chat: ChatRef = PRIVATE) -> list[str]:
    dispatcher = build_dispatcher(services)
    responder = RecordingResponder()
    for line in lines:
        await dispatcher.handle(say(line, chat=chat), responder)
    return list(responder.final_texts().values())


async def test_plain_text_is_streamed_and_remembered(world: World) -> None:
    answers = await chat_lines(world.services, "hello there", "and again")
    assert answers == [
        "(simulated) gpt-4o-mini reply #1 to: hello there",
        "(simulated) gpt-4o-mini reply #2 to: and again",
    ]
    assert [m["role"] for m in sent_messages(world)] == ["user", "assistant", "user"]
    assert world.sim.requests_to(CHAT_PATH)[-1].json["stream"] is True  # type: ignore[index]


async def test_each_thread_has_its_own_memory(world: World) -> None:
    topic = replace(PRIVATE, thread_id="t9")
    await chat_lines(world.services, "in the main chat")
    answers = await chat_lines(world.services, "in a topic", chat=topic)
    assert answers == ["(simulated) gpt-4o-mini reply #1 to: in a topic"]


async def test_persona_becomes_the_system_prompt_and_reset_forgets(world: World) -> None:
    await chat_lines(world.services, "/persona You are a pirate", "ahoy", "/reset", "fresh start")
    before_reset = sent_messages(world, 0)
    assert before_reset[0] == {"role": "system", "content": "You are a pirate"}
    after_reset = sent_messages(world, 1)
    assert after_reset[0]["role"] == "system"  # the persona is kept by /reset
    assert [m["content"] for m in after_reset[1:]] == ["fresh start"]


async def test_history_is_trimmed_to_the_budget_oldest_first(world: World) -> None:
    bot = replace(world.services.config.bot, history_chars=120)
    services = replace(world.services, config=replace(world.services.config, bot=bot))
    await chat_lines(services, "first message", "second message", "third message")
    contents = [m["content"] for m in sent_messages(world)]
    assert contents[-1] == "third message"
    assert "first message" not in contents
    assert sum(len(c) for c in contents[:-1]) <= 120


async def test_model_setting_applies_to_the_conversation(world: World) -> None:
    answers = await chat_lines(world.services, "/model GEMINI-PRO", "hi")
    assert answers == [
        t("model.set", model="gemini-pro"),
        "(simulated) Gemini (gemini-pro) says: hi",
    ]


async def test_gpts_are_accepted_as_models(world: World) -> None:
    answers = await chat_lines(world.services, "/chat hi model=gpt-4-gizmo-g-abc123")
    assert answers == ["(simulated) GPT g-abc123 answers: hi"]


async def test_image_goes_to_a_vision_model_as_content_parts(world: World) -> None:
    dispatcher = build_dispatcher(world.services)
    responder = RecordingResponder()
    png = make_png(4, 4, (255, 0, 0))
    await dispatcher.handle(say("/chat what is this?", attachments=(image(png),)), responder)
    assert responder.final_texts()["m1"] == "(simulated) I saw 1 image. You asked: what is this?"
    body = world.sim.requests_to(CHAT_PATH)[-1].json
    assert isinstance(body, dict) and body["model"] == "gpt-4o-mini"  # takes images itself
    text_part, image_part = body["messages"][-1]["content"]
    assert text_part == {"type": "text", "text": "what is this?"}
    assert image_part["image_url"]["url"].startswith("data:image/png;base64,")


async def test_image_with_a_text_only_model_switches_to_the_vision_model(world: World) -> None:
    dispatcher = build_dispatcher(world.services)
    responder = RecordingResponder()
    png = make_png(4, 4, (0, 0, 255))
    await dispatcher.handle(say("/model gemini-pro"), responder)
    await dispatcher.handle(say("what colour?", attachments=(image(png),)), responder)
    body = world.sim.requests_to(CHAT_PATH)[-1].json
    assert isinstance(body, dict) and body["model"] == world.services.config.models.vision


async def test_gpt_4_all_gets_the_image_url_inline(world: World) -> None:
    dispatcher = build_dispatcher(world.services)
    responder = RecordingResponder()
    url = f"{world.sim.base_url}/sim/media/image/ff0000/x.png"
    attachment = image(make_png(2, 2), url=url)
    await dispatcher.handle(
        say("/chat describe it model=gpt-4-all", attachments=(attachment,)), responder
    )
    last = sent_messages(world)[-1]
    assert last == {"role": "user", "content": f"{url}\ndescribe it"}
    assert responder.final_texts()["m1"].startswith("(simulated) Analysis of 1 image(s)")


async def test_a_non_image_is_refused_before_any_request(world: World) -> None:
    async def reader(limit: int) -> bytes:
        return b"not an image at all"

    fake = Attachment("image", "x.png", "image/png", 19, reader)
    dispatcher = build_dispatcher(world.services)
    responder = RecordingResponder()
    await dispatcher.handle(say("/chat look", attachments=(fake,)), responder)
    assert responder.sent_texts() == [t("chat.image_format")]
    assert world.sim.requests_to(CHAT_PATH) == []


async def test_image_links_in_an_answer_become_attachments(world: World) -> None:
    dispatcher = build_dispatcher(world.services)
    responder = RecordingResponder()
    await dispatcher.handle(say("/chat please draw a cat model=gpt-4-all"), responder)
    files = [f for e in responder.events for f in e.reply.files]
    assert len(files) == 1 and files[0].content_type == "image/png"


async def test_an_answers_images_are_sent_while_its_turn_waits_to_be_written(
    world: World, tmp_path: Path
) -> None:
    # Another process holds the database's write lock: the turn's history waits for it
    # (up to the busy timeout), and the pictures the answer links to go out meanwhile.
    store = world.services.store
    conversation = await store.active_conversation("test", "c1", "")
    blocker = await asyncio.to_thread(_write_lock, tmp_path / "bot.sqlite3")
    responder = RecordingResponder()
    handled = asyncio.ensure_future(build_dispatcher(world.services).handle(
        say("/chat please draw a cat model=gpt-4-all"), responder))
    try:
        async with asyncio.timeout(4):  # below the store's 5 s busy timeout
            await responder.wait_until(lambda events: any(e.reply.files for e in events))
        written = await asyncio.to_thread(blocker.execute, "SELECT COUNT(*) FROM messages")
        assert written.fetchone() == (0,)  # the turn still waits for the lock
    finally:
        await asyncio.to_thread(blocker.close)  # rolls the lock back
    await handled

    turn = await store.history(conversation.id, 10_000)
    assert [m.role for m in turn] == ["user", "assistant"]
    assert t("chat.not_remembered") not in responder.sent_texts()


async def test_cut_stream_keeps_the_text_and_says_so(world: World) -> None:
    world.sim.add_fault(Fault("POST", CHAT_PATH, truncate=True))
    answers = await chat_lines(world.services, "/chat tell me [long]")
    assert answers[-1].endswith(t("stream.interrupted", reason=t("error.connection")))
    assert "(simulated) Long answer" in answers[0]


async def test_unknown_upstream_model_is_explained(world: World) -> None:
    services = replace(
        world.services,
        config=replace(
            world.services.config,
            models=replace(world.services.config.models, chat="nope-1", chat_choices=("nope-1",)),
        ),
    )
    assert await chat_lines(services, "hello") == [t("error.no_channel")]


async def test_trimmed_history_never_starts_with_an_answer_without_its_question(
    world: World,
) -> None:
    services = replace(world.services, config=replace(
        world.services.config, bot=replace(world.services.config.bot, history_chars=1000)))
    store = services.store
    conversation = await store.active_conversation("test", "c1", "")
    await store.append_message(conversation.id, "user", "q" * 800)
    await store.append_message(conversation.id, "assistant", "a" * 300)
    responder = RecordingResponder()

    await build_dispatcher(services).handle(
        Invocation(user=ALICE, chat=PRIVATE, text="next question"), responder)

    body = world.sim.requests_to(CHAT_PATH)[-1].json
    assert isinstance(body, dict)
    roles = [m["role"] for m in body["messages"] if m["role"] != "system"]
    assert roles[0] == "user"  # Claude/Gemini refuse a conversation opening with "assistant"
    assert roles[-1] == "user"


async def test_an_absurd_retry_after_still_gets_a_rate_limit_answer(world: World) -> None:
    world.sim.add_fault(Fault("POST", CHAT_PATH, status=429, headers={"Retry-After": "1e400"}))
    responder = RecordingResponder()

    await build_dispatcher(world.services).handle(
        Invocation(user=ALICE, chat=PRIVATE, text="hello"), responder)  # must not raise

    texts = responder.sent_texts()
    assert len(texts) == 1 and "Too many requests" in texts[0]
    assert describe_failure(errors.RateLimitedError(
        "slow down", status=429, retry_after=float("inf"))) is not None


def _write_lock(database: Path) -> sqlite3.Connection:
    """A second connection holding the database's write lock until it is closed."""
    conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    return conn
