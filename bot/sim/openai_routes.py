"""OpenAI-compatible routes: chat, completions, DALL·E, embeddings, models (RELAY_API §2–4, §8)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import struct
import time
from typing import Any

from aiohttp import web

from bot.sim import media
from bot.sim.chat_answers import (
    SIM_MODELS,
    answer_for,
    clip_to_max_tokens,
    long_answer,
    model_known,
    stream_pieces,
    tokens_of,
)
from bot.sim.context import context_of, wants_truncation
from bot.sim.envelopes import json_response, middleware_error, openai_error, sample_error
from bot.sim.media_routes import base_of, image_url
from bot.sim.progress import digest

_DALLE_SIZES = {
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
}
_EMBEDDING_DIMS = {"text-embedding-3-large": 3072}


async def read_json(request: web.Request) -> dict[str, Any] | web.Response:
    """The JSON object body, or the 400 a relay sends for a malformed one."""
    try:
        body = await request.json()
    except ValueError:
        return openai_error(400, "(simulated) request body is not valid JSON", code="invalid_json")
    if not isinstance(body, dict):
        return openai_error(
            400, "(simulated) request body must be a JSON object", code="invalid_json"
        )
    return body


def no_channel(request: web.Request, model: str) -> web.Response:
    ctx = context_of(request)
    message = f"当前分组 default 下对于模型 {model} 无可用渠道"
    return middleware_error(503, message, ctx.request_ids, code="model_not_found")


async def write_sse(request: web.Request, chunks: list[dict[str, Any]]) -> web.StreamResponse:
    """``data: <json>`` events, a ``: keep-alive`` comment, then ``data: [DONE]``.

    Under a ``truncate`` fault only the first half is sent and ``[DONE]`` never comes.
    """
    response = web.StreamResponse(headers={"Cache-Control": "no-cache"})
    response.content_type = "text/event-stream"
    await response.prepare(request)
    truncate = wants_truncation(request)
    ctx = context_of(request)
    delay = ctx.config.chunk_delay_s
    text_at: list[float] = []  # when each chunk carrying text went out
    for number, chunk in enumerate(chunks[: len(chunks) // 2] if truncate else chunks):
        line = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
        await response.write(f"data: {line}\n\n".encode())
        if _carries_text(chunk):
            text_at.append(ctx.config.clock())
        if number == 0:
            await response.write(b": keep-alive\n\n")
        if delay > 0:
            await asyncio.sleep(delay)
    if not truncate:
        await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    if text_at:
        ctx.log.streams.append((text_at[0], text_at[-1]))
    return response


def _carries_text(chunk: dict[str, Any]) -> bool:
    choices = chunk.get("choices") or []
    return any((c.get("delta") or {}).get("content") or c.get("text") for c in choices)


def _completion_id(prefix: str, text: str) -> str:
    return f"{prefix}-sim{digest(text + str(time.time_ns()), 24)}"


async def chat_completions(request: web.Request) -> web.StreamResponse:
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    model = str(body.get("model") or "")
    messages = body.get("messages")
    if not model:
        return openai_error(400, "(simulated) you must provide a model parameter", param="model")
    if not isinstance(messages, list) or not messages:
        return openai_error(
            400, "(simulated) 'messages' must be a non-empty array", param="messages"
        )
    if not model_known(model):
        return no_channel(request, model)
    answer = answer_for(base_of(request), model, messages)
    answer, finish = clip_to_max_tokens(answer, body.get("max_tokens"))
    prompt_tokens = tokens_of(json.dumps(messages, ensure_ascii=False))
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": tokens_of(answer),
        "total_tokens": prompt_tokens + tokens_of(answer),
    }
    chat_id, created = _completion_id("chatcmpl", answer), int(time.time())

    def chunk(choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": chat_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": None,
            "choices": choices,
        }

    def delta(content: dict[str, Any], reason: str | None) -> dict[str, Any]:
        return chunk([{"index": 0, "delta": content, "logprobs": None, "finish_reason": reason}])

    if body.get("stream") is True:
        chunks = [delta({"role": "assistant", "content": ""}, None)]
        chunks += [delta({"content": piece}, None) for piece in stream_pieces(answer)]
        chunks += [delta({}, finish), {**chunk([]), "usage": usage}]
        return await write_sse(request, chunks)
    requested_n = body.get("n")
    count = requested_n if isinstance(requested_n, int) and requested_n > 0 else 1
    choices = [
        {
            "index": i,
            "message": {"role": "assistant", "content": answer},
            "logprobs": None,
            "finish_reason": finish,
        }
        for i in range(count)
    ]
    return json_response(
        {
            "id": chat_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": choices,
            "usage": usage,
            "system_fingerprint": None,
        }
    )


async def completions(request: web.Request) -> web.StreamResponse:
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    model = str(body.get("model") or "")
    prompt = body.get("prompt")
    if not model_known(model):
        return no_channel(request, model or "(none)")
    if isinstance(prompt, list):
        prompt = "\n".join(str(p) for p in prompt)
    if not isinstance(prompt, str):
        return openai_error(400, "(simulated) 'prompt' is required", param="prompt")
    text = long_answer(model) if "[long]" in prompt else f"\n\n(simulated) completion of: {prompt}"
    text, finish = clip_to_max_tokens(text, body.get("max_tokens"))
    head = {"id": _completion_id("cmpl", text), "created": int(time.time()), "model": model}
    usage = {
        "prompt_tokens": tokens_of(prompt),
        "completion_tokens": tokens_of(text),
        "total_tokens": tokens_of(prompt) + tokens_of(text),
    }
    if body.get("stream") is True:
        pieces = stream_pieces(text)
        chunks = [
            {
                **head,
                "object": "text_completion",
                "choices": [
                    {
                        "text": piece,
                        "index": 0,
                        "logprobs": None,
                        "finish_reason": finish if i == len(pieces) - 1 else None,
                    }
                ],
            }
            for i, piece in enumerate(pieces)
        ]
        return await write_sse(request, chunks)
    choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
    return json_response({**head, "object": "text_completion", "choices": [choice], "usage": usage})


async def images_generations(request: web.Request) -> web.Response:
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    ctx = context_of(request)
    model = str(body.get("model") or "dall-e-2")
    prompt = body.get("prompt")
    if model not in _DALLE_SIZES:
        return no_channel(request, model)
    if not isinstance(prompt, str) or not prompt.strip():
        return openai_error(400, "(simulated) 'prompt' is required", param="prompt")
    if "[policy]" in prompt:
        return sample_error(ctx.samples, "error_dalle_content_policy.json", 400, ctx.request_ids)
    size = str(body.get("size") or "1024x1024")
    allowed = _DALLE_SIZES[model]
    if size not in allowed:
        listed = ", ".join(f"'{s}'" for s in allowed)
        return openai_error(
            400,
            f"Invalid value for 'size': '{size}'. Supported values are: {listed}.",
            param="size",
            code="invalid_value",
        )
    count = body.get("n", 1)
    if not isinstance(count, int) or count < 1 or count > (1 if model == "dall-e-3" else 10):
        return openai_error(
            400, f"(simulated) invalid 'n' for {model}", param="n", code="invalid_value"
        )
    width, height = (int(v) for v in size.split("x"))
    rgb = media.colour_for(prompt)
    items: list[dict[str, Any]] = []
    for i in range(count):
        item: dict[str, Any] = {}
        if model == "dall-e-3":
            item["revised_prompt"] = f"(simulated) {prompt}"
        if body.get("response_format") == "b64_json":
            png = media.make_png(*media.scaled_size(width, height), rgb)
            item["b64_json"] = base64.b64encode(png).decode("ascii")
        else:
            item["url"] = image_url(
                base_of(request), rgb, f"dalle-{digest(prompt)}-{i}", width, height
            )
        items.append(item)
    return json_response({"created": int(time.time()), "data": items})


def embedding_vector(model: str, text: str, dims: int) -> list[float]:
    """A deterministic unit vector derived from a hash of ``model`` and ``text``."""
    raw = bytearray()
    seed = f"{model}\n{text}".encode()
    block = 0
    while len(raw) < dims * 2:
        raw += hashlib.sha256(seed + block.to_bytes(4, "big")).digest()
        block += 1
    values = [v / 32767.5 - 1.0 for v in struct.unpack(f">{dims}H", bytes(raw[: dims * 2]))]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 8) for v in values]


async def embeddings(request: web.Request) -> web.Response:
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    model = str(body.get("model") or "")
    if not model.startswith("text-embedding"):
        return no_channel(request, model or "(none)")
    raw_input = body.get("input")
    items = raw_input if isinstance(raw_input, list) else [raw_input]
    if raw_input is None or not items or any(item in (None, "") for item in items):
        return openai_error(
            400, "(simulated) 'input' must be a non-empty string or array", param="input"
        )
    texts = [item if isinstance(item, str) else json.dumps(item) for item in items]
    native = _EMBEDDING_DIMS.get(model, 1536)
    dims = body.get("dimensions")
    if dims is not None:
        if not model.startswith("text-embedding-3"):
            return openai_error(
                400, "This model does not support specifying dimensions.", param="dimensions"
            )
        if not isinstance(dims, int) or not 1 <= dims <= native:
            return openai_error(
                400, f"(simulated) 'dimensions' must be 1..{native}", param="dimensions"
            )
    data = []
    for index, text in enumerate(texts):
        vector = embedding_vector(model, text, dims or native)
        encoded: Any = vector
        if body.get("encoding_format") == "base64":
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    used = sum(tokens_of(t) for t in texts)
    return json_response(
        {
            "object": "list",
            "data": data,
            # The model name is what a bot shows of an embedding ("by …"): say it is made up.
            "model": f"{model} (simulated)",
            "usage": {"prompt_tokens": used, "total_tokens": used},
        }
    )


async def list_models(request: web.Request) -> web.Response:
    data = [
        {"id": m, "object": "model", "created": 1721030400, "owned_by": "relaybot-sim"}
        for m in SIM_MODELS
    ]
    return json_response({"object": "list", "data": data})


def register(app: web.Application) -> None:
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/completions", completions)
    app.router.add_post("/v1/images/generations", images_generations)
    app.router.add_post("/v1/embeddings", embeddings)
    app.router.add_get("/v1/models", list_models)
