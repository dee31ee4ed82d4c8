""":class:`SimRelay`: start/stop the simulated relay and script it from tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.sim.app import build_app
from bot.sim.context import SimContext
from bot.sim.envelopes import load_samples
from bot.sim.faults import Fault, FaultBook
from bot.sim.mj_tasks import MjTask
from bot.sim.progress import SimConfig
from bot.sim.recording import RecordedRequest, RequestLog


class SimRelay:
    """A simulated AI relay on loopback. See the package docstring for the magic words.

    ``api_key=None`` accepts any key. ``steps`` is how many polls a long job needs;
    ``step_seconds > 0`` moves jobs by elapsed ``clock()`` time instead. ``new_api_mode``
    behaves like a new-api relay (reduced MJ tasks, ``unknown_action`` for PicReader & co.).
    ``luma_array`` answers Luma generate with a one-element array. ``chunk_delay_s`` pauses
    between SSE chunks (for the interactive demo). ``recorded``: path patterns of the
    requests :attr:`requests` keeps (None, the default: every request).
    """

    def __init__(
        self,
        api_key: str | None = "sk-sim",
        *,
        steps: int = 3,
        step_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        new_api_mode: bool = False,
        luma_array: bool = False,
        chunk_delay_s: float = 0.0,
        recorded: Sequence[str] | None = None,
    ) -> None:
        self.config = SimConfig(
            api_key=api_key,
            steps=max(0, steps),
            step_seconds=step_seconds,
            clock=clock,
            new_api_mode=new_api_mode,
            luma_array=luma_array,
            chunk_delay_s=chunk_delay_s,
        )
        self.base_url = ""
        self._faults = FaultBook()
        self._log = RequestLog(recorded)
        self._ctx: SimContext | None = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._runner is not None:
            raise RuntimeError("SimRelay already started")
        samples = await asyncio.to_thread(load_samples)
        self._ctx = SimContext(self.config, samples, self._faults, self._log)
        runner = web.AppRunner(build_app(self._ctx), access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_port = runner.addresses[0][1]
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown_host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> SimRelay:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- requests and faults -----------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._log.requests

    @property
    def streams(self) -> list[tuple[float, float]]:
        """(first, last chunk with text sent) of each streamed answer, on ``clock``."""
        return self._log.streams

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Requests whose stripped path matches ``path`` (``*`` = any one segment)."""
        return self._log.matching(path, method)

    async def wait_for_requests(
        self,
        path: str,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented API
        method: str | None = None,
    ) -> list[RecordedRequest]:
        """Wait until at least ``count`` requests matched ``path``; TimeoutError otherwise."""
        return await self._log.wait_for(path, count, timeout, method)

    def add_fault(self, fault: Fault) -> Fault:
        self._faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """Faults still armed (used-up ones drop out)."""
        return self._faults.pending()

    # -- Midjourney scripting ----------------------------------------------------------

    @property
    def context(self) -> SimContext:
        if self._ctx is None:
            raise RuntimeError("start the SimRelay first")
        return self._ctx

    def _task(self, task_id: str) -> MjTask:
        task = self.context.mj.get(task_id)
        if task is None:
            raise KeyError(f"no simulated Midjourney task {task_id}")
        return task

    def mj_task(self, task_id: str) -> dict[str, Any]:
        """The task as fetch would return it now (does not move it forward)."""
        return self.context.mj.render(self._task(task_id), self.base_url)

    def mj_task_ids(self) -> list[str]:
        return list(self.context.mj.tasks)

    def mj_task_mode(self, task_id: str) -> str | None:
        """The speed prefix the task was submitted under (``None`` = plain ``/mj``)."""
        return self._task(task_id).mode

    def set_mj_task_status(
        self, task_id: str, status: str, *, progress: str | None = None, fail_reason: str = ""
    ) -> dict[str, Any]:
        """Pin a task in ``status`` (SUBMITTED, IN_PROGRESS, SUCCESS, FAILURE, MODAL, ...)."""
        self.context.mj.pin(self._task(task_id), status, progress=progress, fail_reason=fail_reason)
        return self.mj_task(task_id)

    def mj_task_wants_modal(self, task_id: str) -> dict[str, Any]:
        """Stop a running task in MODAL, as a remix account does: it waits for
        ``/mj/submit/modal`` with the (edited) prompt, then runs again."""
        self.context.mj.want_modal(self._task(task_id))
        return self.mj_task(task_id)

    def finish_mj_task(self, task_id: str) -> dict[str, Any]:
        """Move a task straight to its end (SUCCESS, or FAILURE for ``[fail]`` prompts)."""
        task = self._task(task_id)
        task.waiting_modal = False
        task.progress.finish()
        self.context.mj.observe(task, advance=False)
        return self.mj_task(task_id)

    def add_mj_task(
        self,
        prompt: str = "a simulated cat",
        *,
        action: str = "IMAGINE",
        finished: bool = True,
        mode: str | None = None,
    ) -> str:
        """Create a task without a request (e.g. a SUCCESS grid to press buttons on)."""
        task = self.context.mj.create(action, prompt, mode=mode)
        if finished:
            self.finish_mj_task(task.id)
        return task.id

    # -- Suno and Luma scripting -------------------------------------------------------

    def suno_task(self, task_id: str) -> dict[str, Any]:
        """The ``data`` part of a Suno fetch now (does not move it forward)."""
        return self.context.suno.render(self.context.suno.require(task_id), self.base_url)

    def finish_suno_task(self, task_id: str) -> dict[str, Any]:
        self.context.suno.require(task_id).progress.finish()
        return self.suno_task(task_id)

    def luma_task(self, task_id: str) -> dict[str, Any]:
        """The Luma generation object now (does not move it forward)."""
        return self.context.luma.render(self.context.luma.require(task_id), self.base_url)

    def finish_luma_task(self, task_id: str) -> dict[str, Any]:
        self.context.luma.require(task_id).progress.finish()
        return self.luma_task(task_id)
