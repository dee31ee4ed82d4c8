"""The console platform: one user in one private chat, on stdin and stdout.

Lines are handled in order: a line's command runs to completion (or until it asks for
text) before the next line is read, so scripts behave predictably; when the bot asks for
text, the next line is the answer. Every send and edit is printed — in ``--jsonl`` mode
as exactly one JSON object per line and nothing else on stdout (logs go to stderr).
Stdin is read in a daemon thread, so the event loop never blocks on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import mimetypes
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from adapters.base import CoreHandler, Host, Terminal
from adapters.console.convert import (
    MessageInput,
    OutputEvent,
    PressInput,
    file_details,
    find_button,
    human_text,
    media_filename,
    output_event,
    parse_line,
)
from bot.config import AppConfig
from bot.core.models import (
    Attachment,
    Button,
    ButtonPress,
    ChatRef,
    Invocation,
    MessageRef,
    OptionValue,
    PlatformLimits,
    Question,
    Reply,
    TypedAnswer,
    UserRef,
)
from bot.core.options import parse_command
from bot.core.texts import t
from bot.media import guess_content_type, kind_of, read_file_capped

log = logging.getLogger(__name__)

CONSOLE_CHAT = ChatRef(platform="console", chat_id="console", is_private=True)
CONSOLE_USER = UserRef(id="console-user", name="you")
IdleWaiter = Callable[[float], Awaitable[object]]  # e.g. JobTracker.wait_idle


def console_limits(edit_interval_s: float = 1.0, max_text: int = 4000) -> PlatformLimits:
    return PlatformLimits(
        max_text=max_text,
        max_caption=1024,
        max_buttons_per_row=5,
        max_rows=5,
        max_upload_bytes=50 * 1024 * 1024,
        edit_interval_s=edit_interval_s,
        voice_messages=True,
    )


Language = Callable[[], Awaitable[str]]


async def _english() -> str:
    return "en"


class ConsoleResponder:
    """Prints messages, saves their files and remembers their buttons for ``!press``."""

    def __init__(
        self,
        out: TextIO,
        *,
        jsonl: bool,
        media_dir: Path,
        limits: PlatformLimits,
        language: Language = _english,
    ) -> None:
        self._out = out
        self._jsonl = jsonl
        self._media_dir = media_dir
        self._limits = limits
        self._language = language
        self._count = 0
        self._buttons: dict[str, tuple[tuple[Button, ...], ...]] = {}
        self._question: Question | None = None
        self.asking = asyncio.Event()  # a question waits for the next line

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    async def send(self, reply: Reply) -> MessageRef:
        self._count += 1
        message_id = f"m{self._count}"
        await self._show("send", message_id, reply)
        return MessageRef(CONSOLE_CHAT.chat_id, message_id)

    async def edit(self, ref: MessageRef, reply: Reply) -> None:
        await self._show("edit", ref.message_id, reply)

    def link_to(self, ref: MessageRef) -> str | None:
        return None  # a terminal has no links to its earlier lines

    async def ask(self, question: Question) -> str | None:
        """Print the question; the next line answers it (empty: the pre-filled text)."""
        prompt, prefill = question.prompt, question.prefill
        locale = await self._language()
        if prefill:
            text = t("console.ask_prefill", locale, prompt=prompt, prefill=prefill)
        else:
            text = t("console.ask", locale, prompt=prompt)
        asked = await self.send(Reply(text))
        self._question = question
        self.asking.set()
        return asked.message_id

    def responder_for(self, chat: ChatRef) -> ConsoleResponder:
        """The job tracker's way in (``ChatOutlet``): there is only one console chat."""
        return self

    def take_question(self) -> Question | None:
        """The question the next line answers, if one was just asked."""
        question, self._question = self._question, None
        self.asking.clear()  # now, not when the asker resumes: the reader checks it next
        return question

    @contextlib.asynccontextmanager
    async def typing(self) -> AsyncIterator[None]:
        yield

    def messages_with_buttons(self) -> list[tuple[str, tuple[tuple[Button, ...], ...]]]:
        return [(mid, rows) for mid, rows in self._buttons.items() if rows]

    def notice(self, text: str) -> None:
        """A console remark that is not a bot message (stderr in ``--jsonl`` mode)."""
        if self._jsonl:
            log.warning("%s", text)
        else:
            self._write(f"! {text}\n")

    async def _show(self, kind: str, message_id: str, reply: Reply) -> None:
        saved: list[tuple[str, str]] = []
        for index, file in enumerate(reply.files, start=1):
            path = self._media_dir / media_filename(message_id, index, file)
            await asyncio.to_thread(_write_file, path, file.data)
            saved.append((file.kind, str(path)))
        # Messages keep their creation order in the dict, which "newest" relies on.
        self._buttons[message_id] = reply.buttons
        event: OutputEvent = output_event(kind, message_id, reply, saved)
        if self._jsonl:
            self._write(json.dumps(event, ensure_ascii=False) + "\n")
        else:
            locale = await self._language()
            details = [file_details(file, locale) for file in reply.files]
            self._write(human_text(event, details, locale))

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


class ConsoleSession:
    """Reads lines until end of input and feeds them to the core."""

    def __init__(
        self,
        core: CoreHandler,
        responder: ConsoleResponder,
        stdin: TextIO,
        *,
        max_file_bytes: int,
        idle: IdleWaiter | None = None,
    ) -> None:
        self._core = core
        self._responder = responder
        self._stdin = stdin
        self._max_file_bytes = max_file_bytes
        self._idle = idle
        self._running: set[asyncio.Task[None]] = set()

    async def run(self, wait_s: float) -> int:
        current: asyncio.Task[None] | None = None
        async for raw in _lines(self._stdin):
            line = raw.rstrip("\r\n")
            question = self._responder.take_question()
            if question is None:
                current = await self._start(line)
            else:
                current = self._spawn(self._answer(line, question))
            # After an answer the asking command goes on; the next line waits for it too.
            if current is not None:
                await self._settle(current)
        await self._drain(wait_s)
        return 0

    async def _start(self, line: str) -> asyncio.Task[None] | None:
        intent = parse_line(line, self._file_options(line))
        if intent is None:
            return None
        if isinstance(intent, PressInput):
            coro = self._press(intent.label)
        else:
            invocation = await self._invocation(intent)
            if invocation is None:
                return None
            coro = self._core.handle(invocation, self._responder)
        return self._spawn(coro)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def _answer(self, line: str, question: Question) -> None:
        """The line answers the question (``!cancel`` cancels, empty takes the pre-filled
        text); a line that turns out not to answer it (a command) runs as usual."""
        text = line.strip()
        text = "/cancel" if text == "!cancel" else text or question.prefill
        answer = TypedAnswer(CONSOLE_USER, CONSOLE_CHAT, text, anywhere=True)
        if await self._core.answer(answer, self._responder):
            return
        task = await self._start(line)
        if task is not None:
            await task

    async def _settle(self, task: asyncio.Task[None]) -> None:
        """Wait until the line's work is done or it waits for the user's answer."""
        if task.done():
            return
        asking = asyncio.create_task(self._responder.asking.wait())
        try:
            await asyncio.wait({task, asking}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            asking.cancel()

    async def _drain(self, wait_s: float) -> None:
        async def everything() -> None:
            if self._running:
                await asyncio.wait(set(self._running))
            if self._idle is not None:
                await self._idle(wait_s)

        try:
            await asyncio.wait_for(everything(), timeout=wait_s)
        except TimeoutError:
            log.warning("stopped waiting for running jobs after %.0f s", wait_s)
            for task in list(self._running):
                task.cancel()
            if self._running:
                await asyncio.wait(set(self._running))

    async def _locale(self) -> str:
        """The user's language (their /settings choice, else ``[bot] locale``)."""
        return await self._core.locale_for(CONSOLE_USER, CONSOLE_CHAT)

    async def _press(self, label: str) -> None:
        found = find_button(self._responder.messages_with_buttons(), label)
        if found is None:
            self._responder.notice(t("console.no_button", await self._locale(), label=label))
            return
        message_id, button = found
        press = ButtonPress(
            user=CONSOLE_USER,
            chat=CONSOLE_CHAT,
            key=button.key,
            message=MessageRef(CONSOLE_CHAT.chat_id, message_id),
        )
        await self._core.press(press, self._responder)

    def _file_options(self, line: str) -> frozenset[str]:
        """The options of the line's command that take a file (for ``image=PATH``)."""
        parsed = parse_command(line)
        if parsed is None:
            return frozenset()
        spec = next((c for c in self._core.commands if c.name == parsed.name), None)
        if spec is None:
            return frozenset()
        return frozenset(o.name for o in spec.options if o.type == "attachment")

    async def _invocation(self, intent: MessageInput) -> Invocation | None:
        attachments: list[Attachment] = []
        named: dict[str, OptionValue] = {}
        wanted = [(None, path) for path in intent.file_paths] + list(intent.named_files)
        for option, raw in wanted:
            attachment = await self._attachment(raw)
            if attachment is None:
                self._responder.notice(t("console.file_missing", await self._locale(), path=raw))
                return None
            if option is None or parse_command(intent.text) is None:
                attachments.append(attachment)  # plain chat takes any attached file
            else:
                named[option] = attachment
        return Invocation(
            user=CONSOLE_USER,
            chat=CONSOLE_CHAT,
            text=intent.text,
            options=named,
            attachments=tuple(attachments),
        )

    async def _attachment(self, raw: str) -> Attachment | None:
        path = raw
        try:
            path, size, head = await asyncio.to_thread(_stat_and_head, raw)
        except OSError:
            return None
        name = os.path.basename(path)
        content_type = guess_content_type(head, name, mimetypes.guess_type(name)[0])

        async def reader(max_bytes: int) -> bytes:
            return await read_file_capped(path, min(max_bytes, self._max_file_bytes))

        return Attachment(
            kind=kind_of(content_type),
            filename=name,
            content_type=content_type,
            size=size,
            reader=reader,
        )


class ConsoleAdapter:
    """The console as an adapter: one user, one chat, one responder (also the job
    tracker's); :meth:`run` reads the terminal until end of input."""

    name = CONSOLE_CHAT.platform

    def __init__(
        self,
        core: CoreHandler,
        terminal: Terminal,
        *,
        edit_interval_s: float = 1.0,
        max_file_bytes: int,
    ) -> None:
        self._core = core
        self._stdin = terminal.stdin
        self._max_file_bytes = max_file_bytes
        self.responder = ConsoleResponder(
            terminal.stdout,
            jsonl=terminal.jsonl,
            media_dir=terminal.media_dir,
            limits=terminal.limits or console_limits(edit_interval_s),
            language=lambda: core.locale_for(CONSOLE_USER, CONSOLE_CHAT),
        )

    async def start(self) -> None:
        """Nothing to connect: the terminal is read by :meth:`run`."""

    async def stop(self) -> None:
        """Nothing to release: an open question stays in the store for the next run."""

    def responder_for(self, chat: ChatRef) -> ConsoleResponder:
        return self.responder

    async def run(self, wait_s: float, idle: IdleWaiter | None = None) -> int:
        """Handle every line until end of input, then wait up to ``wait_s`` for running
        commands and jobs (``idle``); returns the exit code."""
        session = ConsoleSession(self._core, self.responder, self._stdin,
                                 max_file_bytes=self._max_file_bytes, idle=idle)
        return await session.run(wait_s)


def build(config: AppConfig, core: CoreHandler, host: Host) -> ConsoleAdapter:
    """The console on ``host.terminal``; see :class:`~adapters.base.BuildAdapter`."""
    if host.terminal is None:
        raise ValueError("the console adapter needs a terminal")
    return ConsoleAdapter(
        core,
        host.terminal,
        edit_interval_s=config.bot.edit_interval_s,
        max_file_bytes=int(config.bot.max_download_mb * 1024 * 1024),
    )


async def _lines(stdin: TextIO) -> AsyncIterator[str]:
    """Lines of ``stdin``, read by a daemon thread.

    Not the default executor: a thread blocked in ``readline`` there would keep
    ``asyncio.run`` from returning after Ctrl-C until the user pressed Enter.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        try:
            for line in iter(stdin.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, "")
        except (RuntimeError, ValueError, OSError):  # loop closed, or stdin closed under us
            return

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    while line := await queue.get():
        yield line


def _stat_and_head(raw: str) -> tuple[str, int, bytes]:
    path = os.path.expanduser(raw)
    with open(path, "rb") as handle:
        return path, os.fstat(handle.fileno()).st_size, handle.read(64)
