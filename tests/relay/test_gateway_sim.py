"""Answers of an OpenAI-compatible gateway (LiteLLM proxy), replayed byte for byte through
the simulated relay, and what the user is told about each."""

from __future__ import annotations

import json
import logging
import math

import pytest

from bot.core.failures import describe_failure
from bot.relay import ChatMessage, RelayClient, errors
from bot.sim import Fault, SimRelay
from tests.relay.conftest import RecordingSleep

HELLO = [ChatMessage("user", "hi")]
CHAT = "/v1/chat/completions"
SSE = {"Content-Type": "text/event-stream"}
JSON = {"Content-Type": "application/json"}

# LiteLLM passes an upstream failure mid-stream as one more event after HTTP 200.
STREAM_WITH_ERROR = (
    b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1733230000,'
    b'"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},'
    b'"finish_reason":null}]}\n\n'
    b'data: {"error":{"message":"litellm.InternalServerError: OpenAIException - '
    b'The server had an error while processing your request.","type":null,"param":null,'
    b'"code":"500"}}\n\n'
)
RATE_LIMITED = (
    b'{"error":{"message":"litellm.RateLimitError: RateLimitError: OpenAIException - '
    b'Rate limit reached for gpt-4o. Received Model Group=gpt-4o\\nAvailable Model Group '
    b'Fallbacks=None","type":"throttling_error","param":null,"code":"429"}}'
)
SAFETY = (
    b'{"error":{"message":"litellm.BadRequestError: OpenAIException - Error code: 400 - '
    b"{'error': {'message': 'Your request was rejected as a result of our safety system. "
    b"Your prompt may contain text that is not allowed by our safety system.', 'type': "
    b"'invalid_request_error', 'param': None, 'code': 'content_policy_violation'}}"
    b'\\nReceived Model Group=dall-e-3\\nAvailable Model Group Fallbacks=None",'
    b'"type":null,"param":null,"code":"400"}}'
)
SAFETY_REWRITTEN = (
    b'{"error":{"message":"litellm.BadRequestError: OpenAIException - Your request was '
    b'rejected as a result of our safety system. (request id: 20241203120000abc)",'
    b'"type":null,"param":null,"code":"400"}}'
)
BAD_IMAGE = (
    b'{"error":{"message":"litellm.BadRequestError: OpenAIException - Error code: 400 - '
    b"{'error': {'message': 'Invalid image URL: the image could not be downloaded.', "
    b"'type': 'invalid_request_error', 'param': None, 'code': None}} LiteLLM: model group "
    b'gpt-4o has no fallbacks\\nReceived Model Group=gpt-4o\\nAvailable Model Group '
    b'Fallbacks=None","type":null,"param":null,"code":"400"}}'
)
NOT_FOUND = b'{"detail":"Not Found"}'


async def test_an_error_event_in_a_stream_uses_the_envelopes_code(
    client: RelayClient, sim: SimRelay, caplog: pytest.LogCaptureFixture
) -> None:
    sim.add_fault(Fault("POST", CHAT, status=200, raw_body=STREAM_WITH_ERROR, headers=SSE))
    texts: list[str] = []
    with caplog.at_level(logging.WARNING, "bot.relay"), pytest.raises(
        errors.ServerError
    ) as caught:
        async for delta in client.chat.stream("gpt-4o", HELLO):
            texts.append(delta.text)
    assert texts == ["Hel"]
    assert caught.value.status == 500
    told = describe_failure(caught.value)
    assert told == "The AI service is having problems (HTTP 500). Please try again later."
    assert "HTTP 200" not in (told or "")
    assert any("error inside the answer stream" in r.getMessage()
               and "The server had an error" in r.getMessage() for r in caplog.records)


async def test_a_numeric_code_in_a_stream_error_works_too(
    client: RelayClient, sim: SimRelay
) -> None:
    body = b'data: {"error":{"message":"Rate limit reached","type":null,"code":429}}\n\n'
    sim.add_fault(Fault("POST", CHAT, status=200, raw_body=body, headers=SSE))
    with pytest.raises(errors.RateLimitedError) as caught:
        async for _ in client.chat.stream("gpt-4o", HELLO):
            pass
    assert caught.value.status == 429


@pytest.mark.parametrize(
    ("header", "value", "seconds"),
    [
        ("llm_provider-retry-after", "7", 7.0),
        ("LLM_PROVIDER-RETRY-AFTER", "2.5", 2.5),
        ("x-ratelimit-reset-requests", "1s", 1.0),
        ("x-ratelimit-reset-tokens", "20ms", 0.02),
        ("x-ratelimit-reset-requests", "6m0s", 360.0),
    ],
)
async def test_gateway_retry_hints_are_honoured_like_retry_after(
    client: RelayClient, sim: SimRelay, header: str, value: str, seconds: float,
) -> None:
    headers = {**JSON, header: value}
    sim.add_fault(Fault("POST", CHAT, status=429, raw_body=RATE_LIMITED, headers=headers))
    with pytest.raises(errors.RateLimitedError) as caught:
        await client.chat.complete("gpt-4o", HELLO)
    assert caught.value.retry_after == pytest.approx(seconds)
    told = describe_failure(caught.value) or ""
    assert f"try again in {max(1, math.ceil(seconds))} s" in told


async def test_an_idempotent_call_waits_as_long_as_the_gateway_says(
    client: RelayClient, sim: SimRelay, sleeps: RecordingSleep
) -> None:
    headers = {**JSON, "llm_provider-retry-after": "3"}
    sim.add_fault(Fault("GET", "/mj/task/*/fetch", status=429, raw_body=RATE_LIMITED,
                        headers=headers))
    await client.mj.fetch(await _a_task(client))
    assert sleeps.calls == [3.0]


async def _a_task(client: RelayClient) -> str:
    submitted = await client.mj.imagine("a castle")
    assert submitted.task_id
    return submitted.task_id


async def test_the_exhausted_limit_decides_which_reset_counts(
    client: RelayClient, sim: SimRelay
) -> None:
    headers = {**JSON, "x-ratelimit-remaining-requests": "12", "x-ratelimit-reset-requests":
               "6m0s", "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "3s"}
    sim.add_fault(Fault("POST", CHAT, status=429, raw_body=RATE_LIMITED, headers=headers,
                        times=None))
    with pytest.raises(errors.RateLimitedError) as caught:
        await client.chat.complete("gpt-4o", HELLO)
    assert caught.value.retry_after == 3.0


@pytest.mark.parametrize("body", [SAFETY, SAFETY_REWRITTEN], ids=["repr", "rewritten"])
async def test_a_safety_refusal_with_a_rewritten_code_is_a_content_policy_error(
    client: RelayClient, sim: SimRelay, body: bytes
) -> None:
    sim.add_fault(Fault("POST", "/v1/images/generations", status=400, raw_body=body,
                        headers=JSON))
    with pytest.raises(errors.ContentPolicyError) as caught:
        await client.images.generate("a fox")
    assert describe_failure(caught.value) == (
        "The request was refused by the content filter. Please rephrase it."
    )


async def test_users_read_the_upstreams_sentence_not_the_gateways(
    client: RelayClient, sim: SimRelay
) -> None:
    sim.add_fault(Fault("POST", CHAT, status=400, raw_body=BAD_IMAGE, headers=JSON))
    with pytest.raises(errors.BadRequestError) as caught:
        await client.chat.complete("gpt-4o", HELLO)
    assert "litellm" in caught.value.message  # the operator's log keeps everything
    assert describe_failure(caught.value) == (
        "The AI service refused the request: Invalid image URL: the image could not be "
        "downloaded."
    )
    assert describe_failure(caught.value, "zh") == (
        "AI 服务拒绝了请求：Invalid image URL: the image could not be downloaded."
    )


@pytest.mark.parametrize(
    ("path", "feature", "told"),
    [
        ("/v1/audio/translations", "translate",
         "This relay does not offer speech translation (/translate)."),
        ("/mj/submit/imagine", "midjourney", "This relay does not offer Midjourney."),
        ("/suno/v1/music", "suno", "This relay does not offer Suno music."),
        ("/luma/v1/generations", "luma", "This relay does not offer Luma video."),
    ],
)
async def test_a_feature_the_gateway_lacks_is_named(
    client: RelayClient, sim: SimRelay, path: str, feature: str, told: str
) -> None:
    sim.add_fault(Fault("POST", path, status=404, raw_body=NOT_FOUND, headers=JSON))
    with pytest.raises(errors.FeatureMissingError) as caught:
        if feature == "translate":
            await client.audio.translate(b"RIFF", filename="a.wav", content_type="audio/wav")
        elif feature == "midjourney":
            await client.mj.imagine("a castle")
        elif feature == "suno":
            await client.suno.generate(description="a song")
        else:
            await client.luma.generate("a cat surfing")
    assert caught.value.feature == feature
    assert (describe_failure(caught.value) or "").startswith(told)
    assert "当前中转站不提供该功能" in (describe_failure(caught.value, "zh") or "")


async def test_a_missing_task_is_still_not_found(client: RelayClient, sim: SimRelay) -> None:
    body = json.dumps({"code": 4, "description": "task_no_found"}).encode()
    sim.add_fault(Fault("GET", "/mj/task/*/fetch", status=404, raw_body=body, headers=JSON))
    with pytest.raises(errors.NotFoundError) as caught:
        await client.mj.fetch("123")
    assert not isinstance(caught.value, errors.FeatureMissingError)
