"""The job-kind registry: every vendor is looked up in one table, an unknown one fails loudly."""

from __future__ import annotations

import logging

import pytest

from bot.jobs.kinds import KINDS, UnknownJobKindError, kind_of
from bot.jobs.kinds.midjourney import MjButtonPayload
from bot.jobs.kinds.suno import SunoExtendPayload
from bot.store.base import JobState
from tests.jobs.harness import Bot


def test_the_registry_names_each_vendor_once() -> None:
    assert sorted(KINDS) == ["luma", "mj", "suno"]
    assert all(kind_of(name).name == name for name in KINDS)
    with pytest.raises(UnknownJobKindError, match="'dalle9'"):
        kind_of("dalle9")


async def test_a_job_of_an_unknown_kind_fails_with_a_reason(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    job = await bot.store.create_job(kind="dalle9", platform="test", user_id="alice",
                                     chat_id="chat-1", relay_task_id="t-1",
                                     request={"title": "x", "prompt": "a cat"})
    with caplog.at_level(logging.ERROR):
        await bot.settle()
    stored = await bot.store.get_job(job.id)
    assert stored is not None and stored.outcome is JobState.FAILED
    assert "unknown job kind 'dalle9'" in (stored.error or "")
    assert any("dalle9" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    (notice,) = bot.recorder.texts()
    assert "unknown job kind" in notice
    await bot.command("/jobs")
    assert "dalle9 · x" in bot.recorder.texts()[-1]


def test_button_payloads_read_back_what_they_wrote_and_forgive_drift() -> None:
    extend = SunoExtendPayload("clip-1", "v3.5", "Song", "pop", "la la", 95.0)
    assert SunoExtendPayload.of(extend.to_json()) == extend
    # Older rows or other writers: numbers as text, missing keys, wrong types.
    drifted = SunoExtendPayload.of({"clip": 7, "duration": "42.5", "version": None})
    assert drifted == SunoExtendPayload("7", "v3.0", duration=42.5)
    mj = MjButtonPayload("123", "relax", "a cat")
    assert MjButtonPayload.of(mj.to_json()) == mj
    assert MjButtonPayload.of(None) == MjButtonPayload("")
