"""A platform that refuses the result: delivery is retried, then given up, never doubled."""

from __future__ import annotations

from bot.core.models import DeliveryError, MessageRef, Reply
from bot.store.base import JobState
from tests.jobs.harness import Bot


def _refuse_results(harness: Bot, times: int | None) -> list[int]:
    """Make the fake platform refuse messages carrying files ``times`` times (None: always)."""
    responder = harness.outlet.responder
    original = responder.send
    refused: list[int] = []

    async def send(reply: Reply) -> MessageRef:
        if reply.files and (times is None or len(refused) < times):
            refused.append(1)
            raise DeliveryError("Request Entity Too Large")
        return await original(reply)

    responder.send = send  # type: ignore[method-assign]
    return refused


async def test_refused_result_is_retried_and_arrives_once(harness: Bot) -> None:
    refused = _refuse_results(harness, times=2)
    await harness.command("/imagine a lighthouse")
    await harness.settle()
    results = [e for e in harness.recorder.sent() if e.reply.files and e.reply.buttons]
    assert len(refused) == 2
    assert len(results) == 1
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert job.state is JobState.DELIVERED and job.delivery_attempts == 3


async def test_always_refused_result_is_given_up_after_five_attempts(harness: Bot) -> None:
    refused = _refuse_results(harness, times=None)
    await harness.command("/imagine a lighthouse")
    await harness.settle()
    assert len(refused) == 5
    assert not [e for e in harness.recorder.sent() if e.reply.files]
    notices = [e for e in harness.recorder.sent() if "keeps refusing the result" in e.reply.text]
    assert len(notices) == 1
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert f"Job #{job.id} finished" in notices[0].reply.text
    assert job.state is JobState.DELIVERED and len(job.delivered_refs) == 1
