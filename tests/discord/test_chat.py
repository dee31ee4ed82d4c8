"""/chat and mentions: streaming edits, long answers, no pings, attachments."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest

from bot.sim import Fault, SimRelay, media
from tests.discord.conftest import Running
from tests.fakes.discord_api import LocalFile

pytestmark = pytest.mark.sim(chunk_delay_s=0.002)

WRITING = "still writing"


async def test_chat_is_deferred_then_streamed_by_editing_at_most_once_a_second(
    dcbot: Running,
) -> None:
    fake = dcbot.fake
    asked = await fake.slash("chat", {"prompt": "tell me about otters"})
    [ack] = await fake.wait_for("POST", f"/interactions/{asked.id}/{asked.token}/callback")
    assert ack.json["type"] == 5  # "thinking…" first, within Discord's 3 seconds
    original = f"/webhooks/{fake.application_id}/{asked.token}/messages/@original"
    edits = await fake.wait_for(
        "PATCH", original, where=lambda c: WRITING not in (c.content or "")
    )
    contents = [c.content or "" for c in fake.calls_to("PATCH", original)]
    assert any(WRITING in text for text in contents), "no intermediate edit was shown"
    final = edits[-1].content or ""
    assert "otters" in final or "simulated" in final
    times = [c.at for c in fake.calls_to("PATCH", original)]
    assert all(later - earlier >= 0.999 for earlier, later in itertools.pairwise(times))
    message = fake.messages[asked.original_id or ""]
    assert message["content"] == final and not message["flags"] & 128  # no longer loading


async def test_long_answer_continues_in_follow_ups_under_2000_characters(dcbot: Running) -> None:
    fake = dcbot.fake
    asked = await fake.slash("chat", {"prompt": "write a lot [long]"})
    follow_ups = f"/webhooks/{fake.application_id}/{asked.token}"
    await fake.wait_for("POST", follow_ups, 3)
    await _answered_in(dcbot, fake.channel_id)
    answer = [m["content"] for m in fake.channel_messages(fake.channel_id)]
    assert len(answer) >= 4
    assert all(0 < len(text) <= 2000 for text in answer)
    assert sum(text.count("```") for text in answer) % 2 == 0  # code fences stay balanced


async def test_mention_is_answered_in_the_channel_without_pinging_anyone(dcbot: Running) -> None:
    fake = dcbot.fake
    asked = await fake.post_message("say hi to @everyone and <@&777>", mention_bot=True)
    await _answered_in(dcbot, fake.channel_id)
    calls = fake.calls_to("POST", f"/channels/{fake.channel_id}/messages") + fake.calls_to(
        "PATCH", f"/channels/{fake.channel_id}/messages/*"
    )
    assert calls
    assert all(c.json["allowed_mentions"]["parse"] == [] for c in calls)
    assert fake.messages[asked["id"]]
    answer = _bot_messages(dcbot, fake.channel_id)[0]
    assert answer["message_reference"]["message_id"] == asked["id"]


async def test_slash_answers_never_ping(dcbot: Running) -> None:
    fake = dcbot.fake
    asked = await fake.slash("chat", {"prompt": "repeat: @everyone @here"})
    original = f"/webhooks/{fake.application_id}/{asked.token}/messages/@original"
    await fake.wait_for("PATCH", original, where=lambda c: WRITING not in (c.content or ""))
    assert all(c.json["allowed_mentions"]["parse"] == [] for c in fake.calls_to("PATCH", original))


async def test_message_without_mention_is_ignored(dcbot: Running, sim: SimRelay) -> None:
    fake = dcbot.fake
    await fake.post_message("just talking among humans")
    await fake.post_message("hello bot", mention_bot=True)
    await _answered_in(dcbot, fake.channel_id)
    chats = sim.requests_to("/v1/chat/completions")
    assert len(chats) == 1
    assert "hello bot" in str(chats[0].json)


async def test_a_typed_command_with_an_unknown_option_is_refused(
    dcbot: Running, sim: SimRelay
) -> None:
    fake = dcbot.fake
    await fake.post_message("/chat tell me a joke colour=red", mention_bot=True)
    [answer] = await _answered_in(dcbot, fake.channel_id)
    assert "/chat has no option “colour=”" in answer["content"]
    # How to write the "=" as text, as code: Discord would hide a bare backslash.
    assert "`colour\\=`" in answer["content"]
    assert sim.requests_to("/v1/chat/completions") == []


async def test_image_option_is_read_from_the_attachment(dcbot: Running, sim: SimRelay) -> None:
    fake = dcbot.fake
    png = media.make_png(8, 8, (255, 0, 0))
    asked = await fake.slash(
        "chat", {"prompt": "what colour is this?", "image": LocalFile("red.png", png, "image/png")}
    )
    original = f"/webhooks/{fake.application_id}/{asked.token}/messages/@original"
    await fake.wait_for("PATCH", original, where=lambda c: WRITING not in (c.content or ""))
    [request] = sim.requests_to("/v1/chat/completions")
    sent = str(request.json)
    assert "data:image/png;base64," + base64.b64encode(png).decode()[:40] in sent


async def test_thread_has_its_own_conversation(dcbot: Running) -> None:
    fake = dcbot.fake
    await fake.slash("model", {"name": "gpt-4o"}, channel_id=fake.thread_id)
    await fake.wait_for("PATCH", "/webhooks/*/*/messages/@original")
    store = dcbot.app.core.services.store
    in_thread = await store.active_conversation("discord", fake.channel_id, fake.thread_id)
    in_channel = await store.active_conversation("discord", fake.channel_id, "")
    assert in_thread.model == "gpt-4o"
    assert in_channel.model is None


async def test_reply_to_the_bot_is_chat(dcbot: Running, sim: SimRelay) -> None:
    fake = dcbot.fake
    await fake.post_message("first question", mention_bot=True)
    [answer] = await _answered_in(dcbot, fake.channel_id)
    await fake.post_message("and a follow-up without mention", reply_to=answer["id"])
    await fake.wait_until(lambda: len(_bot_messages(dcbot, fake.channel_id)) == 2)
    await _answered_in(dcbot, fake.channel_id)
    second = sim.requests_to("/v1/chat/completions")[1].json
    assert "first question" in str(second["messages"])  # the conversation is remembered


def _bot_messages(dcbot: Running, channel_id: str) -> list[dict[str, Any]]:
    fake = dcbot.fake
    return [
        m for m in fake.channel_messages(channel_id) if m["author"]["id"] == fake.bot_user["id"]
    ]


async def _answered_in(dcbot: Running, channel_id: str) -> list[dict[str, Any]]:
    """Wait until the bot's messages in the channel are finished (no "still writing")."""
    await dcbot.fake.wait_until(
        lambda: bool(_bot_messages(dcbot, channel_id))
        and all(WRITING not in str(m["content"]) for m in _bot_messages(dcbot, channel_id))
    )
    return _bot_messages(dcbot, channel_id)


async def test_tts_is_uploaded_as_an_audio_file(dcbot: Running) -> None:
    fake = dcbot.fake
    asked = await fake.slash("tts", {"text": "hello there"})
    [upload] = await fake.wait_for(
        "PATCH", f"/webhooks/*/{asked.token}/messages/@original", where=lambda c: bool(c.files)
    )
    assert upload.files[0].field == "files[0]"
    [attachment] = fake.messages[asked.original_id or ""]["attachments"]
    assert attachment["content_type"].startswith("audio/") and attachment["size"] > 0
    assert upload.json["allowed_mentions"]["parse"] == []


async def test_file_over_the_interaction_upload_limit_is_explained(dcbot: Running) -> None:
    fake = dcbot.fake
    fake.attachment_size_limit = 1000  # this guild/interaction accepts 1000 bytes only
    asked = await fake.slash("tts", {"text": "hello there"})
    [answer] = await fake.wait_for("POST", f"/webhooks/*/{asked.token}")
    assert answer.files == ()
    assert "too large" in (answer.content or "").lower()


async def test_a_failing_request_is_explained_to_the_user(dcbot: Running) -> None:
    fake = dcbot.fake
    asked = await fake.slash("chat", {"prompt": "hi", "model": "no-such-model"})
    [error] = await fake.wait_for("POST", f"/webhooks/*/{asked.token}")
    assert "not an available model" in (error.content or "")
    # Only the user who ran the command sees it; "thinking…" was removed, not left public.
    assert error.json["flags"] & 64
    assert fake.calls_to("DELETE", f"/webhooks/*/{asked.token}/messages/@original")
    assert asked.original_id not in fake.messages


async def test_after_the_interaction_token_expires_the_answer_goes_to_the_channel(
    dcbot: Running,
) -> None:
    fake = dcbot.fake
    expired = {"message": "Invalid Webhook Token", "code": 50027}
    for method in ("POST", "PATCH", "DELETE"):
        fake.fail(method, "/webhooks/*/*/messages/@original", status=401, body=expired, times=99)
        fake.fail(method, "/webhooks/*/*", status=401, body=expired, times=99)
    await fake.slash("chat", {"prompt": "a slow question"})
    await fake.wait_for("POST", f"/channels/{fake.channel_id}/messages")
    shown = [m for m in await _answered_in(dcbot, fake.channel_id) if m["content"]]
    [answer] = shown
    assert "slow question" in answer["content"]
    assert "interaction_token" not in answer  # a normal channel message


async def test_non_web_links_in_an_answer_are_plain_text(dcbot: Running, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/v1/chat/completions", status=200, json_body={
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant",
            "content": "Ask [this user](tg://user?id=42) or [the docs](https://example.org).",
        }}]}))
    fake = dcbot.fake
    asked = await fake.slash("chat", {"prompt": "who should I ask?"})
    original = f"/webhooks/{fake.application_id}/{asked.token}/messages/@original"
    edits = await fake.wait_for("PATCH", original, where=lambda c: "docs" in (c.content or ""))
    final = edits[-1].content or ""
    assert "this user (tg://user?id=42)" in final and "](tg:" not in final
    assert "[the docs](https://example.org)" in final
