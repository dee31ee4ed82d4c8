"""Job vendors, one module each, looked up by ``Job.kind``.

Adding a vendor: a module here implementing :class:`~bot.jobs.kinds.base.JobKind` (with its
tests) and one line in :data:`KINDS`. Code that meets a kind nobody registered fails loudly
with :class:`~bot.jobs.kinds.base.UnknownJobKindError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.jobs.kinds import luma, midjourney, suno
from bot.jobs.kinds.base import JobKind, UnknownJobKindError

KINDS: Final[Mapping[str, JobKind]] = {
    midjourney.KIND.name: midjourney.KIND,
    suno.KIND.name: suno.KIND,
    luma.KIND.name: luma.KIND,
}


def kind_of(name: str) -> JobKind:
    """The registered kind called ``name``; :class:`UnknownJobKindError` if there is none."""
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownJobKindError(name) from None


__all__ = ["KINDS", "JobKind", "UnknownJobKindError", "kind_of"]
