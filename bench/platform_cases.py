"""Chat through the Telegram fake: many users in live conversations (dispatch), one long
stream (streaming).

Both run the real App with python-telegram-bot against the fake Bot API and the relay
simulator, on the virtual loop (:mod:`bench.vloop`): fixed relay latencies, the users'
thinking and the edit interval cost no real time, while the bot's own work does.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bench import cpu_share
from bench.tracking import percentile
from bench.world import SIMULATOR, TELEGRAM, running_world
from bot.core.texts import t
from bot.sim import Fault, openai_routes

CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True, slots=True)
class DispatchResult:
    users: int
    relay_latency_s: float
    added_p50_ms: float
    added_p99_ms: float
    inbound_p50_ms: float
    outbound_p50_ms: float
    answered: int
    rounds: int = 1
    think_s: tuple[float, float] = (0.0, 0.0)
    messages: int = 0
    cpu_ms_per_message: float = math.nan
    bot_cpu_ms_per_message: float = math.nan
    virtual_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "added_p50_ms": round(self.added_p50_ms, 2),
            "added_p99_ms": round(self.added_p99_ms, 2),
            "inbound_p50_ms": round(self.inbound_p50_ms, 2),
            "outbound_p50_ms": round(self.outbound_p50_ms, 2),
            "relay_latency_s": self.relay_latency_s,
            "answered": self.answered,
            "rounds": self.rounds,
            "think_s": list(self.think_s),
            "messages": self.messages,
            "cpu_ms_per_message": round(self.cpu_ms_per_message, 2),
            "bot_cpu_ms_per_message": round(self.bot_cpu_ms_per_message, 2),
            "virtual_s": round(self.virtual_s, 1),
        }


_TURN = re.compile(r"user (\d+) turn (\d+)")


@contextmanager
def _answers_ready() -> Iterator[dict[tuple[int, int], float]]:
    """When the simulator has each chat answer ready and starts sending it, by (user,
    turn) read from the answer (which quotes the prompt). The simulator's own work
    between the relay latency's end and that moment (building the answer, about 1 ms
    of CPU in this one process) is the relay's time, not the bot's."""
    stamps: dict[tuple[int, int], float] = {}
    original = openai_routes.write_sse

    async def stamped(request: web.Request, chunks: list[dict[str, Any]]
                      ) -> web.StreamResponse:
        at = asyncio.get_running_loop().time()
        text = "".join(str((c.get("delta") or {}).get("content") or "")
                       for chunk in chunks for c in chunk.get("choices") or ())
        found = _TURN.search(text)
        if found is not None:
            stamps.setdefault((int(found[1]), int(found[2])), at)
        return await original(request, chunks)

    openai_routes.write_sse = stamped
    try:
        yield stamps
    finally:
        openai_routes.write_sse = original


@dataclass(frozen=True, slots=True)
class _Turn:
    """One message of one user: when the bot got it, asked the relay, answered."""

    handed: float
    asked: float | None = None
    ready: float | None = None
    answered: float | None = None


async def run_dispatch(
    users: int = 200,
    *,
    rounds: int = 3,
    think_s: tuple[float, float] = (2.0, 8.0),
    relay_latency_s: float = 0.5,
    seed: int = 7,
) -> DispatchResult:
    """``users`` people in live conversations: each sends ``/chat``, waits for the
    answer, thinks a random ``think_s`` (seeded), and sends the next, ``rounds`` times;
    the first messages are spread over the first think interval. With ``think_s`` of
    ``(0, 0)`` and one round, everybody sends in the same instant (the burst).

    The relay answers each after a fixed latency. Added time per message = (update
    handed to the bot → relay request arrived) + (relay answer ready → the first
    sendMessage of the answer arrived at the fake)."""
    rng = random.Random(seed)
    low, high = think_s
    starts = [rng.uniform(0.0, high) for _ in range(users)]
    thinks = [[rng.uniform(low, high) for _ in range(rounds - 1)] for _ in range(users)]
    with _answers_ready() as ready:
        async with running_world() as world:
            fake, sim = world.telegram, world.sim
            sim.add_fault(Fault("POST", CHAT_PATH, delay_s=relay_latency_s, passthrough=True,
                                times=None))
            people = [fake.user(50_000 + n, f"User {n}") for n in range(users)]
            chats = [fake.private_chat(person) for person in people]
            answers = _AnswerWatch(fake, {chat.id for chat in chats})
            watching = asyncio.create_task(answers.run())

            async def converse(n: int) -> None:
                await asyncio.sleep(starts[n])
                for turn in range(rounds):
                    answered = answers.next_answer(chats[n].id)
                    fake.send_text(chats[n], people[n], f"/chat hello from user {n} turn {turn}")
                    await answered
                    if turn < rounds - 1:
                        await asyncio.sleep(thinks[n][turn])

            loop = asyncio.get_running_loop()
            began, cpu_began = loop.time(), time.process_time()
            others_began = _others_cpu_s()
            try:
                async with asyncio.timeout(600):
                    with cpu_share.attributed(TELEGRAM):  # the users are Telegram's side
                        people_chatting = [asyncio.ensure_future(converse(n))
                                           for n in range(users)]
                    await asyncio.gather(*people_chatting)
            finally:
                watching.cancel()
            cpu_s = time.process_time() - cpu_began
            bot_cpu_s = cpu_s - (_others_cpu_s() - others_began)
            virtual_s = loop.time() - began
            turns = _turns(fake, sim, answers, ready)
    added: list[float] = []
    inbound_ms: list[float] = []
    outbound_ms: list[float] = []
    for turn in turns:
        if turn.asked is None or turn.ready is None or turn.answered is None:
            continue
        inbound = turn.asked - turn.handed
        outbound = turn.answered - turn.ready
        added.append((inbound + outbound) * 1000)
        inbound_ms.append(inbound * 1000)
        outbound_ms.append(outbound * 1000)
    return DispatchResult(
        users=users,
        relay_latency_s=relay_latency_s,
        added_p50_ms=statistics.median(added) if added else math.nan,
        added_p99_ms=percentile(added, 0.99),
        inbound_p50_ms=statistics.median(inbound_ms) if added else math.nan,
        outbound_p50_ms=statistics.median(outbound_ms) if added else math.nan,
        answered=len(added),
        rounds=rounds,
        think_s=think_s,
        messages=users * rounds,
        cpu_ms_per_message=cpu_s * 1000 / max(1, users * rounds),
        bot_cpu_ms_per_message=bot_cpu_s * 1000 / max(1, users * rounds),
        virtual_s=virtual_s,
    )


def _others_cpu_s() -> float:
    """CPU seconds spent so far by the relay simulator and the Telegram fake."""
    return cpu_share.spent_s(SIMULATOR) + cpu_share.spent_s(TELEGRAM)


class _AnswerWatch:
    """Resolves a user's wait when the bot's next sendMessage to their chat arrives,
    looking at each recorded call once (one waiter on the fake, not one per user)."""

    def __init__(self, fake: Any, chat_ids: set[int]) -> None:
        self._fake = fake
        self._chat_ids = chat_ids
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self._seen = 0
        # chat id -> arrival time of every sendMessage, in order
        self.sent: dict[int, list[float]] = {}

    def next_answer(self, chat_id: int) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future

    async def run(self) -> None:
        fake = self._fake
        while True:
            await fake.wait_until(lambda: len(fake.calls) > self._seen, wait_s=3600,
                                  what="another call")
            calls, self._seen = fake.calls[self._seen:], len(fake.calls)
            for call in calls:
                if call.method != "sendMessage" or not call.ok:
                    continue
                chat_id = int(call.params["chat_id"])
                if chat_id not in self._chat_ids:
                    continue
                self.sent.setdefault(chat_id, []).append(call.at)
                waiting = self._waiting.pop(chat_id, None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(None)


def _turns(fake: Any, sim: Any, answers: _AnswerWatch,
           ready: dict[tuple[int, int], float]) -> list[_Turn]:
    """Every message sent, with its four moments: the fake's hand-out, the relay
    request whose prompt names it, its answer ready at the simulator, and the first
    sendMessage to its chat after the request."""
    handed: dict[tuple[int, int], tuple[int, float]] = {}
    for at, update in fake.handed_out.values():
        message = update.get("message")
        if message is None:
            continue
        handed[_who(str(message.get("text", "")))] = (int(message["chat"]["id"]), at)
    asked: dict[tuple[int, int], float] = {}
    for request in sim.requests_to(CHAT_PATH, "POST"):
        asked.setdefault(_who(str(request.json["messages"][-1]["content"])), request.at)
    turns: list[_Turn] = []
    for key, (chat_id, at) in handed.items():
        ask = asked.get(key)
        answer = None
        if ask is not None:
            answer = next((t for t in answers.sent.get(chat_id, []) if t > ask), None)
        turns.append(_Turn(at, ask, ready.get(key), answer))
    return turns


def _who(text: str) -> tuple[int, int]:
    """(user, turn) from ``hello from user N turn T``."""
    found = _TURN.search(text)
    return (int(found[1]), int(found[2])) if found is not None else (-1, -1)


@dataclass(frozen=True, slots=True)
class StreamingResult:
    edit_interval_s: float
    first_text_ms: float
    edits_per_message: float
    n429: int
    final_lag_s: float
    messages: int
    stream_s: float

    def as_json(self) -> dict[str, Any]:
        return {
            "edit_interval_s": self.edit_interval_s,
            "first_text_ms": round(self.first_text_ms, 2),
            "edits_per_message": round(self.edits_per_message, 2),
            "n429": self.n429,
            "final_lag_s": round(self.final_lag_s, 3),
            "messages": self.messages,
            "stream_s": round(self.stream_s, 2),
        }


async def run_streaming(edit_interval_s: float = 1.0, chunk_delay_s: float = 0.05
                        ) -> StreamingResult:
    """One ``[long]`` answer (~9,000 characters, more than one Telegram message) streamed
    with ``chunk_delay_s`` between chunks, to a fake that answers 429 to a second edit of
    a message within ``edit_interval_s``."""
    async with running_world(edit_interval_s=edit_interval_s,
                             chunk_delay_s=chunk_delay_s) as world:
        fake, sim = world.telegram, world.sim
        alice = fake.user(1001, "Alice")
        chat = fake.private_chat(alice)
        fake.send_text(chat, alice, "/chat tell me everything [long]")
        await fake.wait_until(lambda: bool(sim.streams), wait_s=600, what="the stream's end")
        first_chunk, last_chunk = sim.streams[0]
        await fake.wait_until(lambda: _shows_final(fake, chat.id), wait_s=600,
                              what="the final text")
        writes = [c for c in fake.calls
                  if c.method in ("sendMessage", "editMessageText")
                  and int(c.params.get("chat_id", 0)) == chat.id]
        shown = [c for c in writes if c.ok]
        n429 = sum(1 for c in writes if not c.ok and "Too Many Requests" in (c.error or ""))
        messages = fake.messages_in(chat)
        last_write = max(c.at for c in shown)
    return StreamingResult(
        edit_interval_s=edit_interval_s,
        first_text_ms=(shown[0].at - first_chunk) * 1000,
        edits_per_message=sum(m.edits for m in messages) / max(1, len(messages)),
        n429=n429,
        final_lag_s=last_write - last_chunk,
        messages=len(messages),
        stream_s=last_chunk - first_chunk,
    )


def _shows_final(fake: Any, chat_id: int) -> bool:
    """True once no message of the chat still shows the "still writing" marker."""
    marker = t("stream.writing", "en")
    messages = fake.messages_in(chat_id)
    return bool(messages) and not any(marker in m.text for m in messages)
