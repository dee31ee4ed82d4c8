"""Write-ahead submits: the job is stored before the paid submit, so an accepted task is
never lost: not to a refused status message, not to a lost answer, not to a refusal."""

from __future__ import annotations

from bot.core.models import DeliveryError, MessageRef, Reply
from bot.jobs.outlets import encode_message_ref
from bot.sim import Fault, SimRelay
from bot.store.base import JobState
from tests.jobs.harness import CHAT, Bot
from tests.relay_sim import SIM_KEY as API_KEY


def _photos(harness: Bot) -> list[Reply]:
    return [e.reply for e in harness.recorder.sent() if e.reply.files]


async def test_an_accepted_submit_is_counted_once_and_its_status_message_followed(
    harness: Bot, sim: SimRelay
) -> None:
    await harness.command("/imagine a lighthouse [queued]")
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    [status] = harness.recorder.sent()
    assert job.state is JobState.SUBMITTED and job.relay_task_id == sim.mj_task_ids()[0]
    assert job.status_message_ref == encode_message_ref(MessageRef(CHAT.chat_id,
                                                                   status.message_id))
    assert "1 ahead" in status.reply.text, "the queue position is stored with the task id"
    usage = await harness.store.usage_summary("test", "alice", since=0)
    assert usage["mj"].count == 1
    await harness.settle()
    assert harness.recorder.edits_of(status.message_id), "the tracker edits that message"
    [result] = _photos(harness)
    assert "a lighthouse" in result.text
    usage = await harness.store.usage_summary("test", "alice", since=0)
    assert usage["mj"].count == 1, "one entry per accepted submit"


async def test_a_refused_status_message_never_drops_the_job(harness: Bot, sim: SimRelay) -> None:
    responder = harness.outlet.responder
    original = responder.send

    async def refuse_status(reply: Reply) -> MessageRef:
        if not reply.files and "relay task" in reply.text:  # the status message
            raise DeliveryError("Too Many Requests: retry after 30")
        return await original(reply)

    responder.send = refuse_status  # type: ignore[method-assign]
    await harness.command("/imagine a lighthouse")
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert job.relay_task_id and job.state is JobState.SUBMITTED
    assert job.status_message_ref is None
    await harness.settle()
    [result] = _photos(harness)
    assert "a lighthouse" in result.text and result.reply_to is None, "delivered on its own"
    assert len(sim.requests_to("/mj/submit/imagine")) == 1


async def test_a_lost_answer_is_found_by_its_tag(harness: Bot, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/mj/submit/imagine", lose_answer=True))
    await harness.command("/imagine a lighthouse")
    [imagine] = sim.requests_to("/mj/submit/imagine")
    tag = imagine.json["state"]
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert job.state is JobState.SUBMITTING and job.submit_tag == tag
    assert any(f"Checking whether job #{job.id} started" in t for t in harness.recorder.texts())
    await harness.settle()
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert job.relay_task_id == sim.mj_task_ids()[0] and job.state is JobState.DELIVERED
    [result] = _photos(harness)
    assert "a lighthouse" in result.text
    assert len(sim.requests_to("/mj/submit/imagine")) == 1, "never submitted twice"
    usage = await harness.store.usage_summary("test", "alice", since=0)
    assert usage["mj"].count == 1, "the found task is in the usage ledger"


async def test_a_lost_answer_found_through_the_paged_query(harness: Bot, sim: SimRelay) -> None:
    """A relay without /mj/task/list (new-api) may still serve the paged query."""
    sim.add_fault(Fault("POST", "/mj/submit/imagine", lose_answer=True))
    sim.add_fault(Fault("GET", "/mj/task/list", status=404, times=None))
    await harness.command("/imagine a lighthouse")
    await harness.settle()
    [query] = sim.requests_to("/mj/task/query")
    assert query.json["state"].startswith("relaybot-")
    assert len(_photos(harness)) == 1


async def test_a_lost_answer_not_found_is_said_plainly(harness: Bot, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/mj/submit/imagine", lose_answer=True))
    sim.add_fault(Fault("GET", "/mj/task/list", status=404, times=None))
    sim.add_fault(Fault("POST", "/mj/task/query", status=404, times=None))
    await harness.command("/imagine a lighthouse")
    await harness.settle()
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert job.outcome is JobState.FAILED and job.state is JobState.DELIVERED
    notices = [t for t in harness.recorder.texts() if "never confirmed" in t]
    assert len(notices) == 1
    assert f"Job #{job.id}" in notices[0] and "may still have started" in notices[0]
    assert "/jobs" in notices[0]
    assert not _photos(harness)


async def test_a_lost_suno_answer_is_said_plainly(harness: Bot, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/suno/v1/v3.0/music", lose_answer=True))
    await harness.command("/music a song about rain")
    await harness.settle()
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert job.kind == "suno" and job.outcome is JobState.FAILED
    assert len([t for t in harness.recorder.texts() if "never confirmed" in t]) == 1
    assert len(sim.requests_to("/suno/v1/v3.0/music", method="POST")) == 1


async def test_a_refused_submit_ends_failed_with_its_reason(harness: Bot, sim: SimRelay) -> None:
    await harness.command("/imagine a [banned] idea")
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert job.outcome is JobState.FAILED and job.state is JobState.DELIVERED
    assert job.relay_task_id is None and job.error
    await harness.settle()
    texts = harness.recorder.texts()
    assert len(texts) == 1 and "banned" in texts[0], "the reason, once, and nothing to track"


async def test_a_refusal_quoting_the_key_is_stored_without_it(harness: Bot, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/mj/submit/imagine", status=200,
                        json_body={"code": 4, "description": f"invalid token {API_KEY}"}))
    await harness.command("/imagine a cat")
    (job,) = await harness.store.list_jobs_for_owner("test", "alice")
    assert job.outcome is JobState.FAILED and job.error and "invalid token" in job.error
    assert API_KEY not in job.error
    assert not any(API_KEY in text for text in harness.recorder.texts())


async def test_a_submit_still_in_flight_is_not_resolved_early(harness: Bot, sim: SimRelay) -> None:
    """The tracker leaves a submit alone while its answer may still come."""
    (job,) = [await harness.store.create_job(
        kind="mj", platform="test", user_id="alice", chat_id="c1", request={"locale": "en"},
        state=JobState.SUBMITTING, submit_tag="relaybot-inflight", submit_worker="other",
        next_poll_at=harness.clock.now + 40,
    )]
    harness.clock.now += 3
    await harness.tracker.run_once()
    assert (await harness.store.get_job(job.id)).state is JobState.SUBMITTING  # type: ignore[union-attr]
    assert not sim.requests_to("/mj/task/list")
