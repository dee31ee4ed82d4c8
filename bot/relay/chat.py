"""``POST /v1/chat/completions`` (RELAY_API.md §2): answers, streams and chat-drawn images.

Image models that answer through chat (gpt-4-all drawing, stable-diffusion-api) return
markdown; ``extract_images`` splits it into prose and image URLs (§2.7).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.lenient import as_dict, as_int, as_list, as_str
from bot.relay.envelopes import error_in_body
from bot.relay.errors import RelayDecodeError
from bot.relay.sse import DeltaStream
from bot.relay.transport import Transport
from bot.relay.types import ChatDelta, ChatImages, ChatMessage, ChatResult, ImagePart, Usage
from bot.relay.wire import ChatRequest, ContentPartWire, ImageUrlWire, MessageWire

PATH = "/v1/chat/completions"

_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\((https?://[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_MARKDOWN_LINK = re.compile(r"(?<!!)\[[^\]]*\]\((https?://[^)\s]+)\)")
_IMAGE_EXTENSION = re.compile(r"\.(?:png|jpe?g|webp|gif)(?:[?#]|$)", re.IGNORECASE)


def message_to_wire(message: ChatMessage) -> MessageWire:
    if isinstance(message.content, str):
        return {"role": message.role, "content": message.content}
    parts: list[ContentPartWire] = []
    for part in message.content:
        if isinstance(part, ImagePart):
            image: ImageUrlWire = {"url": part.url}
            if part.detail is not None:
                image["detail"] = part.detail
            parts.append({"type": "image_url", "image_url": image})
        else:
            parts.append({"type": "text", "text": part.text})
    return {"role": message.role, "content": parts}


def parse_usage(value: object) -> Usage | None:
    data = as_dict(value)
    if not data:
        return None
    return Usage(
        prompt_tokens=as_int(data.get("prompt_tokens")),
        completion_tokens=as_int(data.get("completion_tokens")),
        total_tokens=as_int(data.get("total_tokens")),
    )


def _first_choice(body: object) -> dict[str, object]:
    if (error := error_in_body(body)) is not None:
        raise error
    choices = as_list(as_dict(body).get("choices"))
    if not choices:
        raise RelayDecodeError("the chat answer has no choices")
    return as_dict(choices[0])


def parse_chat_result(body: object) -> ChatResult:
    choice = _first_choice(body)
    return ChatResult(
        text=as_str(as_dict(choice.get("message")).get("content")),
        model=as_str(as_dict(body).get("model")),
        finish_reason=as_str(choice.get("finish_reason")) or None,
        usage=parse_usage(as_dict(body).get("usage")),
    )


def parse_delta(chunk: object, text_of: Callable[[dict[str, object]], object]) -> ChatDelta | None:
    """One SSE chunk of chat or completions; ``text_of`` finds the text in its choice."""
    data = as_dict(chunk)
    usage = parse_usage(data.get("usage"))
    choices = as_list(data.get("choices"))
    if not choices:
        return ChatDelta(usage=usage) if usage else None
    choice = as_dict(choices[0])
    return ChatDelta(
        text=as_str(text_of(choice)),
        finish_reason=as_str(choice.get("finish_reason")) or None,
        usage=usage,
    )


def parse_chat_chunk(chunk: object) -> ChatDelta | None:
    return parse_delta(chunk, lambda choice: as_dict(choice.get("delta")).get("content"))


def chat_result_as_delta(body: object) -> ChatDelta:
    result = parse_chat_result(body)
    finish = result.finish_reason or "stop"
    return ChatDelta(text=result.text, finish_reason=finish, usage=result.usage)


def extract_images(text: str, model: str = "") -> ChatImages:
    """Pull ``![..](url)`` images and ``[..](url.png)`` download links out of markdown."""
    urls: list[str] = []

    def take(match: re.Match[str]) -> str:
        if match.group(1) not in urls:
            urls.append(match.group(1))
        return ""

    def take_image_link(match: re.Match[str]) -> str:
        return take(match) if _IMAGE_EXTENSION.search(match.group(1)) else match.group(0)

    prose = _MARKDOWN_IMAGE.sub(take, text)
    prose = _MARKDOWN_LINK.sub(take_image_link, prose)
    prose = re.sub(r"\n{3,}", "\n\n", prose).strip()
    return ChatImages(text_without_images=prose, image_urls=tuple(urls), model=model)


class ChatResource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def complete(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        user: str | None = None,
    ) -> ChatResult:
        body = _request(model, messages, temperature, top_p, max_tokens, stop, user)
        answer = await self._transport.request_json("POST", PATH, json_body=body)
        return parse_chat_result(answer)

    def stream(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        user: str | None = None,
        include_usage: bool = False,
    ) -> DeltaStream:
        """Deltas as they arrive. Nothing is sent until the first ``__anext__``."""
        body = _request(model, messages, temperature, top_p, max_tokens, stop, user)
        body["stream"] = True
        if include_usage:
            body["stream_options"] = {"include_usage": True}

        return DeltaStream(
            lambda: self._transport.open_stream("POST", PATH, json_body=body),
            parse_chat_chunk,
            chat_result_as_delta,
            max_bytes=self._transport.max_response_bytes,
        )

    async def generate_images(self, model: str, prompt: str) -> ChatImages:
        """Draw through a chat image model (gpt-4-all, stable-diffusion-api)."""
        result = await self.complete(model, [ChatMessage(role="user", content=prompt)])
        return extract_images(result.text, result.model or model)


def _request(
    model: str,
    messages: Sequence[ChatMessage],
    temperature: float | None,
    top_p: float | None,
    max_tokens: int | None,
    stop: str | Sequence[str] | None,
    user: str | None,
) -> ChatRequest:
    body: ChatRequest = {"model": model, "messages": [message_to_wire(m) for m in messages]}
    if temperature is not None:
        body["temperature"] = temperature
    if top_p is not None:
        body["top_p"] = top_p
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if stop is not None:
        body["stop"] = stop if isinstance(stop, str) else list(stop)
    if user is not None:
        body["user"] = user
    return body
