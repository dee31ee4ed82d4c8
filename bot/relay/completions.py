"""``POST /v1/completions`` (RELAY_API.md §3): legacy text completion, plain and streamed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.lenient import as_dict, as_list, as_str
from bot.relay.chat import parse_delta, parse_usage
from bot.relay.envelopes import error_in_body
from bot.relay.errors import RelayDecodeError
from bot.relay.sse import DeltaStream
from bot.relay.transport import Transport
from bot.relay.types import ChatDelta, CompletionResult
from bot.relay.wire import CompletionRequest

PATH = "/v1/completions"


def parse_completion(body: object) -> CompletionResult:
    if (error := error_in_body(body)) is not None:
        raise error
    choices = as_list(as_dict(body).get("choices"))
    if not choices:
        raise RelayDecodeError("the completion has no choices")
    choice = as_dict(choices[0])
    return CompletionResult(
        text=as_str(choice.get("text")),
        model=as_str(as_dict(body).get("model")),
        finish_reason=as_str(choice.get("finish_reason")) or None,
        usage=parse_usage(as_dict(body).get("usage")),
    )


def parse_completion_chunk(chunk: object) -> ChatDelta | None:
    return parse_delta(chunk, lambda choice: choice.get("text"))


def _completion_as_delta(body: object) -> ChatDelta:
    result = parse_completion(body)
    finish = result.finish_reason or "stop"
    return ChatDelta(text=result.text, finish_reason=finish, usage=result.usage)


class CompletionsResource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create(
        self,
        model: str,
        prompt: str,
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: str | Sequence[str] | None = None,
        suffix: str | None = None,
        user: str | None = None,
    ) -> CompletionResult:
        body = _request(model, prompt, max_tokens, temperature, stop, suffix, user)
        return parse_completion(await self._transport.request_json("POST", PATH, json_body=body))

    def stream(
        self,
        model: str,
        prompt: str,
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: str | Sequence[str] | None = None,
        suffix: str | None = None,
        user: str | None = None,
    ) -> DeltaStream:
        body = _request(model, prompt, max_tokens, temperature, stop, suffix, user)
        body["stream"] = True
        return DeltaStream(
            lambda: self._transport.open_stream("POST", PATH, json_body=body),
            parse_completion_chunk,
            _completion_as_delta,
            max_bytes=self._transport.max_response_bytes,
        )


def _request(
    model: str,
    prompt: str,
    max_tokens: int | None,
    temperature: float | None,
    stop: str | Sequence[str] | None,
    suffix: str | None,
    user: str | None,
) -> CompletionRequest:
    body: CompletionRequest = {"model": model, "prompt": prompt}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if temperature is not None:
        body["temperature"] = temperature
    if stop is not None:
        body["stop"] = stop if isinstance(stop, str) else list(stop)
    if suffix is not None:
        body["suffix"] = suffix
    if user is not None:
        body["user"] = user
    return body
