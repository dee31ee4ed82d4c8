"""Gateway wrappings removed from error messages; retry hints read from gateway headers."""

from __future__ import annotations

import pytest

from bot.relay.envelopes import parse_duration, retry_hint, status_in_code
from bot.relay.upstream_text import clean_message


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param(
            "litellm.BadRequestError: OpenAIException - Error code: 400 - {'error': {'message': "
            "'Invalid image URL provided.', 'type': 'invalid_request_error', 'param': None, "
            "'code': None}}\nReceived Model Group=gpt-4o\nAvailable Model Group Fallbacks=None",
            "Invalid image URL provided.", id="python-repr-in-litellm",
        ),
        pytest.param(
            "litellm.BadRequestError: OpenAIException - Invalid value for 'size': must be one "
            "of 1024x1024. LiteLLM: model group gpt-image has no fallbacks "
            "(request id: 20240101abc)",
            "Invalid value for 'size': must be one of 1024x1024.", id="model-group-note",
        ),
        pytest.param(
            "400: {'error': 'completion: Invalid model name passed in model=gpt-5. Call "
            "`/v1/models` to view available models for your key.'}",
            "Invalid model name passed in model=gpt-5. Call `/v1/models` to view available "
            "models for your key.", id="fastapi-detail-repr",
        ),
        pytest.param(
            "No deployments available for selected model, Try again in 60 seconds. Passed "
            "model=gpt-4o. pre-call-checks=False, allowed_model_region=n/a",
            "No deployments available for selected model, Try again in 60 seconds.",
            id="router-key-values",
        ),
        pytest.param(
            "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for "
            "gpt-4o. LiteLLM Retried: 2 times, LiteLLM Max Retries: 3",
            "Rate limit reached for gpt-4o.", id="retry-counts",
        ),
        pytest.param(
            "litellm.APIError: AzureException APIError - The server had an error while "
            "processing your request. Sorry about that! Request ID: req_abc123",
            "The server had an error while processing your request. Sorry about that!",
            id="azure-request-id",
        ),
        pytest.param(
            '{"error":{"message":"Bad \\"x\\" value","type":"invalid_request_error"}}',
            'Bad "x" value', id="json-envelope",
        ),
        pytest.param(
            "当前分组上游负载已饱和，请稍后再试 (request id: 20241203)",
            "当前分组上游负载已饱和，请稍后再试", id="new-api-request-id",
        ),
    ],
)
def test_the_upstreams_sentence_is_kept(raw: str, shown: str) -> None:
    assert clean_message(raw) == shown


@pytest.mark.parametrize(
    "plain",
    [
        "Invalid prompt: a = b is not allowed.",
        "Error: the image is too small.",
        "该令牌额度已用尽",
        "The model `gpt-9` does not exist or you do not have access to it.",
        "Prompt contains {braces} and [brackets].",
    ],
)
def test_plain_messages_are_left_alone(plain: str) -> None:
    assert clean_message(plain) == plain


def test_nothing_but_gateway_internals_leaves_nothing() -> None:
    assert clean_message("litellm.BadRequestError: Received Model Group=gpt-4o") == ""
    assert clean_message("") == ""


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("12", 12.0),
     ("0.5", 0.5), ("soon", None), ("5 minutes", None), ("", None), (None, None),
     ("-3s", None), ("1e400", None)],
)
def test_go_durations(value: str | None, seconds: float | None) -> None:
    assert parse_duration(value) == seconds


def test_retry_after_wins_over_gateway_hints() -> None:
    assert retry_hint({"Retry-After": "4", "llm_provider-retry-after": "9"}) == 4.0
    assert retry_hint({"llm_provider-retry-after": "9", "x-ratelimit-reset-tokens": "1s"}) == 9.0
    assert retry_hint({"x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "5s"}) == 5
    assert retry_hint({"x-ratelimit-reset-requests": "later"}) is None
    assert retry_hint({}) is None and retry_hint(None) is None


@pytest.mark.parametrize(
    ("code", "status"),
    [("500", 500), ("429", 429), (" 400 ", 400), ("200", None), ("30", None),
     ("rate_limit_exceeded", None), (None, None), ("99999", None)],
)
def test_an_envelope_code_is_a_status_only_when_it_is_an_http_error(
    code: str | None, status: int | None
) -> None:
    assert status_in_code(code) == status
