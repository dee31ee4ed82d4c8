"""Every error envelope, decode failure and timeout, as a caller of the client sees it."""

from __future__ import annotations

import pytest

from bot.relay import ChatMessage, RelayClient, errors
from bot.sim import Fault, SimRelay
from tests.relay.conftest import MakeClient
from tests.relay_samples import sample

HELLO = [ChatMessage("user", "hi")]
CHAT = "/v1/chat/completions"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthError),
        (403, errors.QuotaExceededError),
        (429, errors.RateLimitedError),
        (500, errors.ServerError),
        (503, errors.NoChannelError),
    ],
)
async def test_openai_envelopes(
    client: RelayClient, sim: SimRelay, status: int, error_type: type[errors.RelayStatusError]
) -> None:
    sim.add_fault(Fault("POST", CHAT, status=status))
    with pytest.raises(error_type) as caught:
        await client.chat.complete("gpt-4o", HELLO)
    assert caught.value.status == status and caught.value.message


@pytest.mark.parametrize(
    ("status", "name", "error_type"),
    [
        (401, "error_token_quota_401.json", errors.QuotaExceededError),
        (403, "error_model_forbidden_403.json", errors.PermissionDeniedError),
        (400, "error_dalle_content_policy.json", errors.ContentPolicyError),
    ],
)
async def test_sample_bodies(
    client: RelayClient,
    sim: SimRelay,
    status: int,
    name: str,
    error_type: type[errors.RelayStatusError],
) -> None:
    sim.add_fault(Fault("POST", CHAT, status=status, json_body=sample(name)))
    with pytest.raises(error_type):
        await client.chat.complete("gpt-4o", HELLO)


async def test_wrong_key_is_an_auth_error(make_client: MakeClient) -> None:
    with pytest.raises(errors.AuthError, match="无效的令牌"):
        await make_client(api_key="sk-wrong").chat.complete("gpt-4o", HELLO)


async def test_key_never_appears_in_repr_or_errors(make_client: MakeClient) -> None:
    client = make_client(api_key="sk-secret-123")
    assert "sk-secret" not in repr(client) and "sk-secret" not in repr(client.chat)
    with pytest.raises(errors.AuthError) as caught:
        await client.mj.fetch("1")
    assert "sk-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "error_type"),
    [
        ("mj_relay_error.json", errors.BadRequestError),
        ("mj_relay_task_not_found.json", errors.NotFoundError),
        ("mj_relay_unknown_action.json", errors.UnknownActionError),
    ],
)
async def test_midjourney_relay_envelopes(
    client: RelayClient, sim: SimRelay, name: str, error_type: type[errors.RelayError]
) -> None:
    sim.add_fault(Fault("POST", "/mj/submit/imagine", status=400, json_body=sample(name)))
    with pytest.raises(error_type) as caught:
        await client.mj.imagine("a cat")
    assert not caught.value.message.endswith(" ")


async def test_midjourney_quota_in_relay_envelope(client: RelayClient, sim: SimRelay) -> None:
    body = {"description": "quota_not_enough ", "type": "upstream_error", "code": 4}
    sim.add_fault(Fault("POST", "/mj/submit/imagine", status=400, json_body=body))
    with pytest.raises(errors.QuotaExceededError):
        await client.mj.imagine("a cat")


async def test_group_saturated_429_on_mj(client: RelayClient, sim: SimRelay) -> None:
    body = {"description": "当前分组负载已饱和，请稍后再试", "type": "upstream_error", "code": 30}
    sim.add_fault(Fault("POST", "/mj/submit/imagine", status=429, json_body=body))
    with pytest.raises(errors.RateLimitedError):
        await client.mj.imagine("a cat")


async def test_truncated_json_is_a_decode_error(client: RelayClient, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/mj/submit/imagine", truncate=True))
    with pytest.raises(errors.RelayDecodeError) as caught:
        await client.mj.imagine("a cat")
    assert caught.value.body_excerpt


async def test_garbage_body_is_a_decode_error(client: RelayClient, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", "/v1/embeddings", status=200, text_body="<html>oops</html>"))
    with pytest.raises(errors.RelayDecodeError):
        await client.embeddings.create("x")


async def test_ok_json_without_the_expected_fields(client: RelayClient, sim: SimRelay) -> None:
    sim.add_fault(Fault("POST", CHAT, status=200, json_body={"choices": []}))
    with pytest.raises(errors.RelayDecodeError):
        await client.chat.complete("gpt-4o", HELLO)
    sim.add_fault(Fault("POST", "/mj/submit/imagine", status=200, json_body={"code": 1}))
    with pytest.raises(errors.RelayDecodeError):
        await client.mj.imagine("a cat")


async def test_slow_answer_times_out(make_client: MakeClient, sim: SimRelay) -> None:
    client = make_client(timeout_s=0.3)
    sim.add_fault(Fault("POST", "/mj/submit/imagine", delay_s=1.5, passthrough=True))
    with pytest.raises(errors.RelayTimeoutError):
        await client.mj.imagine("a cat")
    assert len(sim.requests_to("/mj/submit/imagine")) == 1


async def test_json_nested_too_deep_to_parse_is_a_decode_error(
    client: RelayClient, sim: SimRelay
) -> None:
    # Python's parser gives up on deep nesting with RecursionError, which is no RelayError:
    # the caller took it for a bug ("something went wrong"), the tracker for a crash.
    deep = "[" * 100_000
    sim.add_fault(Fault("POST", "/mj/submit/imagine", status=200, text_body=deep))
    with pytest.raises(errors.RelayDecodeError):
        await client.mj.imagine("a cat")
    sim.add_fault(Fault("POST", CHAT, status=400, text_body=deep))
    with pytest.raises(errors.BadRequestError):
        await client.chat.complete("gpt-4o", HELLO)


async def test_a_page_long_error_message_is_cut_but_still_classified(
    client: RelayClient, sim: SimRelay
) -> None:
    # The message lands in log lines, stored job errors and replies: a relay answering
    # with a whole page as its message must not put the page into each of them.
    page = "blah " * 200_000 + "content_policy_violation"
    sim.add_fault(Fault("POST", CHAT, status=400, json_body={"error": {"message": page}}))
    with pytest.raises(errors.ContentPolicyError) as caught:
        await client.chat.complete("gpt-4o", HELLO)
    assert caught.value.message.startswith("blah blah")
    assert len(caught.value.message) < 1100 and len(str(caught.value)) < 1100
    assert "more characters" in caught.value.message
