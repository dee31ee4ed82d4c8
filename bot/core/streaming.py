"""A streamed answer: one message edited as text arrives.

Rules users notice:

* edits happen at most once per ``edit_interval_s`` per message, and never with text
  identical to what the message already shows;
* until the answer is complete the last message ends with the "still writing" marker;
* when the text outgrows the platform limit the message is finished (split as in
  :mod:`bot.core.render`, code blocks kept intact) and the answer continues in a new one;
* when the relay fails mid-stream the partial text stays and a short note is appended.
  A failure before any text arrived is raised instead, for the dispatcher to answer;
* ``data:`` URIs are cut out of the text as they arrive and sent as files after the
  answer when they are media (:mod:`bot.core.inline_data`), else noted as dropped;
* an answer reaching ``max_chars`` (``bot.max_answer_chars``) stops there with a note,
  so an endless stream cannot flood the chat.

The clock and sleep are injected so tests can drive time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterable
from dataclasses import dataclass

from bot.core.context import Clock, CommandContext, Sleep
from bot.core.failures import Redact, describe_failure
from bot.core.inline_data import DataUriFilter, decode_inline
from bot.core.models import DeliveryError, MessageRef, OutgoingFile, Reply, Responder
from bot.core.render import chars_within, split_first
from bot.core.texts import t
from bot.log import Redactor
from bot.relay.errors import RelayError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StreamResult:
    text: str  # the whole answer as received (without marker or failure note)
    messages: tuple[MessageRef, ...]
    error: RelayError | None = None  # set when the stream broke after some text
    capped: bool = False  # the answer reached ``max_chars`` and the rest was not read


class StreamingReply:
    """Shows one streamed answer. Use once: ``result = await StreamingReply(...).run(chunks)``."""

    def __init__(
        self,
        responder: Responder,
        *,
        locale: str,
        clock: Clock,
        sleep: Sleep,
        edit_interval_s: float | None = None,
        reply_to: MessageRef | None = None,
        redact: Redact | None = None,
        max_chars: int | None = None,
    ) -> None:
        self._responder = responder
        self._locale = locale
        self._clock = clock
        self._sleep = sleep
        limits = responder.limits
        self._interval = edit_interval_s if edit_interval_s is not None else limits.edit_interval_s
        self._limit = limits.max_text
        self._length = limits.text_length
        self._marker = "\n\n" + t("stream.writing", locale)
        self._reply_to = reply_to
        self._redact = redact or Redactor()
        self._max_chars = max_chars
        self._buffer = ""
        self._carry = ""  # fence reopening line the current message starts with
        self._offset = 0  # where the current message's text starts in the buffer
        self._refs: list[MessageRef] = []
        self._shown: list[str] = []
        self._finished_messages = 0  # messages completed by a split, never edited again
        self._last_flush = float("-inf")
        self._changed = asyncio.Event()
        self._finished = False
        self._flushing = False  # an interim flush is sending or editing
        self._inline = DataUriFilter(max_uri_chars=limits.max_upload_bytes * 4 // 3 + 1024)

    async def run(self, chunks: AsyncIterable[str]) -> StreamResult:
        # Started with the first text, not before the relay request: its first step would
        # run ahead of the request's write, and an answer that arrives whole never needs it.
        flusher: asyncio.Task[None] | None = None
        error: RelayError | None = None
        capped = False
        try:
            async for chunk in chunks:
                if chunk:
                    self._buffer += self._inline.feed(chunk)
                    self._changed.set()
                    if flusher is None:
                        flusher = asyncio.create_task(self._flush_while_streaming())
                if self._max_chars is not None and len(self._buffer) >= self._max_chars:
                    # An endless or runaway answer: stop reading (the caller's stream
                    # context closes the connection) and keep what fits.
                    self._buffer = self._buffer[: self._max_chars]
                    capped = True
                    break
        except RelayError as exc:
            self._buffer += self._inline.finish()
            if not self._buffer.strip() and not self._inline.found:
                await _stop(flusher)
                raise
            error = exc
        except BaseException:
            await _stop(flusher)
            raise
        if error is None:
            self._buffer += self._inline.finish()
        # Let a flush in progress finish rather than cancel it between a send and
        # remembering its message, which would duplicate that message. A flusher that is
        # only waiting (for text, or for the interval, which the final flush keeps below)
        # has nothing to finish: stopped here rather than woken to return, which would
        # cost the final flush two turns of the event loop (on a busy loop, each lets
        # every other ready message's work run first).
        self._finished = True
        if flusher is not None and self._flushing:
            self._changed.set()
            await flusher
        elif flusher is not None:
            flusher.cancel()
        text = self._buffer
        files, dropped, over_limit = await self._inline_files()
        if error is not None:
            reason = describe_failure(error, self._locale, redact=self._redact) or self._redact(
                str(error)
            )
            self._buffer += "\n\n" + t("stream.interrupted", self._locale, reason=reason)
        elif capped:
            self._buffer += "\n\n" + t("stream.capped", self._locale, limit=self._max_chars)
        elif not text.strip() and not files and not dropped and not over_limit:
            self._buffer = t("stream.empty", self._locale)
        if dropped:
            self._buffer += "\n\n" + t("stream.inline_dropped", self._locale, count=dropped)
        if over_limit:
            self._buffer += "\n\n" + t("stream.inline_over_limit", self._locale,
                                       count=over_limit)
        await self._wait_for_interval()
        await self._flush(final=True)
        if files:
            await self._responder.send(Reply(files=files))
        return StreamResult(text=text, messages=tuple(self._refs), error=error, capped=capped)

    async def _inline_files(self) -> tuple[tuple[OutgoingFile, ...], int, int]:
        """The answer's data URIs that are media, how many others were dropped, and how
        many were not kept because the answer already held enough files."""
        over_limit = sum(1 for item in self._inline.found if item.over_limit)
        found = [item for item in self._inline.found if not item.over_limit]
        if not found:
            return (), 0, over_limit
        cap = self._responder.limits.max_upload_bytes

        def decode() -> list[OutgoingFile | None]:  # megabytes of base64: off the loop
            return [decode_inline(item, cap, n) for n, item in enumerate(found, 1)]

        decoded = await asyncio.to_thread(decode)
        files = tuple(f for f in decoded if f is not None)
        return files, len(decoded) - len(files), over_limit

    async def _flush_while_streaming(self) -> None:
        while True:
            await self._changed.wait()
            if self._finished:
                return
            await self._wait_for_interval()
            if self._finished:
                return
            self._changed.clear()
            self._flushing = True
            try:
                await self._flush(final=False)
            except DeliveryError as exc:
                # One refused interim edit (a network blip, flood control) must not abandon
                # the answer with its marker: the next flush shows the text again.
                log.info("streamed answer not updated this time: %s", exc)
                self._last_flush = self._clock()
            finally:
                self._flushing = False

    async def _wait_for_interval(self) -> None:
        remaining = self._last_flush + self._interval - self._clock()
        if remaining > 0:
            await self._sleep(remaining)

    async def _flush(self, *, final: bool) -> None:
        budget = self._limit if final else self._limit - self._length(self._marker)
        current = self._current_text()
        while self._length(current) > budget:
            cut = split_first(current, chars_within(current, budget, self._length))
            await self._show(len(self._refs) - 1 if self._has_open_message() else None, cut.head)
            self._start_next_message(cut.consumed, cut.reopen)
            current = self._current_text()
        if current.strip():
            shown = current if final else current + self._marker
            index = len(self._refs) - 1 if self._has_open_message() else None
            await self._show(index, shown)
        self._last_flush = self._clock()

    def _current_text(self) -> str:
        if not self._carry:
            while self._offset < len(self._buffer) and self._buffer[self._offset] in "\n ":
                self._offset += 1
        return (self._carry + self._buffer[self._offset:]).rstrip()

    def _has_open_message(self) -> bool:
        """Whether the last sent message is still the one being written."""
        return len(self._refs) > self._finished_messages

    def _start_next_message(self, consumed: int, reopen: str) -> None:
        self._offset += max(0, consumed - len(self._carry))
        self._carry = reopen
        self._finished_messages = len(self._refs)

    async def _show(self, index: int | None, text: str) -> None:
        if index is None:
            reply_to = self._reply_to if not self._refs else None
            self._refs.append(await self._responder.send(Reply(text, reply_to=reply_to)))
            self._shown.append(text)
        elif self._shown[index] != text:
            await self._responder.edit(self._refs[index], Reply(text))
            self._shown[index] = text


def streaming_reply(ctx: CommandContext) -> StreamingReply:
    """The streamed answer to ``ctx``'s message: a reply to it, edited at the operator's
    pace (``bot.edit_interval_s``) but never faster than the platform allows."""
    services = ctx.services
    return StreamingReply(
        ctx.responder,
        locale=ctx.locale,
        clock=services.clock,
        sleep=services.sleep,
        edit_interval_s=max(
            services.config.bot.edit_interval_s, ctx.responder.limits.edit_interval_s
        ),
        reply_to=ctx.invocation.message,
        redact=services.redact,
        max_chars=services.config.bot.max_answer_chars,
    )


async def _stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
