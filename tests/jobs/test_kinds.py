"""The job-kind registry: every vendor is looked up in one table, an unknown one fails loudly."""

from __future__ import annotations

import logging

import pytest

from bot.core.texts import t
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
    harness: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    job = await harness.store.create_job(kind="dalle9", platform="test", user_id="alice",
                                     chat_id="chat-1", relay_task_id="t-1",
                                     request={"title": "x", "prompt": "a cat"})
    with caplog.at_level(logging.ERROR):
        await harness.settle()
    stored = await harness.store.get_job(job.id)
    assert stored is not None and stored.outcome is JobState.FAILED
    assert "unknown job kind 'dalle9'" in (stored.error or "")
    assert any("dalle9" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    (notice,) = harness.recorder.texts()
    assert t("jobs.reason.unknown_kind", "en", kind="dalle9") in notice
    await harness.command("/jobs")
    assert "dalle9 · x" in harness.recorder.texts()[-1]


async def test_the_bots_own_failure_reasons_are_in_the_readers_language(harness: Bot) -> None:
    # Job.error keeps the English reason for operators; a zh reader sees Chinese.
    for kind, task in (("dalle9", "t-1"), ("mj", "no-such-task")):
        await harness.store.create_job(kind=kind, platform="test", user_id="alice",
                                   chat_id="chat-1", relay_task_id=task,
                                   request={"title": "x", "prompt": "a cat", "locale": "zh"})
    await harness.settle()
    unknown_kind, lost = harness.recorder.texts()[-2:]
    assert t("jobs.reason.unknown_kind", "zh", kind="dalle9") in unknown_kind
    assert "中转站已找不到该任务" in lost
    assert not any("unknown" in text for text in (unknown_kind, lost))


def test_button_payloads_read_back_what_they_wrote_and_forgive_drift() -> None:
    extend = SunoExtendPayload("clip-1", "v3.5", "Song", "pop", "la la", 95.0)
    assert SunoExtendPayload.of(extend.to_json()) == extend
    # Older rows or other writers: numbers as text, missing keys, wrong types.
    drifted = SunoExtendPayload.of({"clip": 7, "duration": "42.5", "version": None})
    assert drifted == SunoExtendPayload("7", "v3.0", duration=42.5)
    mj = MjButtonPayload("123", "relax", "a cat")
    assert MjButtonPayload.of(mj.to_json()) == mj
    assert MjButtonPayload.of(None) == MjButtonPayload("")
