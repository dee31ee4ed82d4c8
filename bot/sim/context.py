"""The state one simulator instance shares between its route families."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.sim.envelopes import RequestIds, Samples
from bot.sim.faults import FaultBook
from bot.sim.luma_tasks import LumaBook
from bot.sim.mj_tasks import MjBook
from bot.sim.progress import IdMaker, SimConfig
from bot.sim.recording import RequestLog
from bot.sim.suno_tasks import SunoBook


@dataclass
class SimContext:
    config: SimConfig
    samples: Samples
    faults: FaultBook
    log: RequestLog
    ids: IdMaker = field(default_factory=IdMaker)
    request_ids: RequestIds = field(default_factory=RequestIds)
    mj: MjBook = field(init=False)
    suno: SunoBook = field(init=False)
    luma: LumaBook = field(init=False)

    def __post_init__(self) -> None:
        self.mj = MjBook(self.config, self.samples, self.ids)
        self.suno = SunoBook(self.config, self.samples, self.ids)
        self.luma = LumaBook(self.config, self.samples, self.ids)


CONTEXT = web.AppKey("sim_context", SimContext)
TRUNCATE = web.RequestKey("sim_truncate", bool)


def context_of(request: web.Request) -> SimContext:
    return request.app[CONTEXT]


def wants_truncation(request: web.Request) -> bool:
    """True when a ``truncate`` fault asked a streaming handler to stop halfway."""
    return bool(request.get(TRUNCATE, False))


def add_mj_route(app: web.Application, method: str, path: str, handler: Handler) -> None:
    """Register ``path`` under ``/mj`` and under each ``/mj-fast|mj-relax|mj-turbo`` prefix."""
    app.router.add_route(method, path, handler)
    app.router.add_route(method, "/{mj_mode:mj-(?:fast|relax|turbo)}" + path, handler)
