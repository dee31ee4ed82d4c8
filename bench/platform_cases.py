"""Chat through the Telegram fake: many users at once (dispatch), one long stream (streaming).

Both run the real App with python-telegram-bot against the fake Bot API and the relay
simulator, on the virtual loop (:mod:`bench.vloop`): fixed relay latencies and the
edit interval cost no real time, while the bot's own work does.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from bench.tracking import percentile
from bench.world import running_world
from bot.core.texts import t
from bot.sim import Fault

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

    def as_json(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "added_p50_ms": round(self.added_p50_ms, 2),
            "added_p99_ms": round(self.added_p99_ms, 2),
            "inbound_p50_ms": round(self.inbound_p50_ms, 2),
            "outbound_p50_ms": round(self.outbound_p50_ms, 2),
            "relay_latency_s": self.relay_latency_s,
            "answered": self.answered,
        }


async def run_dispatch(users: int = 200, relay_latency_s: float = 0.5) -> DispatchResult:
    """Every user sends ``/chat`` at the same moment; the relay answers each after a fixed
    latency. Added time per user = (update handed to the bot → relay request arrived)
    + (relay answer ready → first sendMessage arrived at the fake)."""
    async with running_world() as world:
        fake, sim = world.telegram, world.sim
        sim.add_fault(Fault("POST", CHAT_PATH, delay_s=relay_latency_s, passthrough=True,
                            times=None))
        people = [fake.user(50_000 + n, f"User {n}") for n in range(users)]
        chats = [fake.private_chat(person) for person in people]
        for n, (person, chat) in enumerate(zip(people, chats, strict=True)):
            fake.send_text(chat, person, f"/chat hello from user {n}")
        await fake.wait_until(
            lambda: len({c.params.get("chat_id") for c in fake.sent("sendMessage")}) >= users,
            wait_s=600, what="every user's answer",
        )
        handed = {update["message"]["chat"]["id"]: at
                  for at, update in fake.handed_out.values() if "message" in update}
        asked: dict[int, float] = {}
        for request in sim.requests_to(CHAT_PATH, "POST"):
            text = str(request.json["messages"][-1]["content"])
            asked.setdefault(int(text.rsplit(" ", 1)[-1]), request.at)
        answered: dict[int, float] = {}
        for call in fake.sent("sendMessage"):
            answered.setdefault(int(call.params["chat_id"]), call.at)
        added: list[float] = []
        inbound_ms: list[float] = []
        outbound_ms: list[float] = []
        for n, chat in enumerate(chats):
            if chat.id in handed and n in asked and chat.id in answered:
                inbound = asked[n] - handed[chat.id]
                outbound = answered[chat.id] - (asked[n] + relay_latency_s)
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
    )


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
