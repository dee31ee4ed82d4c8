"""``POST /v1/embeddings`` (RELAY_API.md §8)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.lenient import as_dict, as_int, as_list, as_str, opt_float
from bot.relay.chat import parse_usage
from bot.relay.envelopes import error_in_body
from bot.relay.errors import RelayDecodeError
from bot.relay.transport import Transport
from bot.relay.types import EmbeddingResult
from bot.relay.wire import EmbeddingRequest

PATH = "/v1/embeddings"


def parse_embeddings(body: object) -> EmbeddingResult:
    if (error := error_in_body(body)) is not None:
        raise error
    items = [as_dict(item) for item in as_list(as_dict(body).get("data"))]
    if not items:
        raise RelayDecodeError("the embedding answer has no vectors")
    items.sort(key=lambda item: as_int(item.get("index")))
    vectors = []
    for item in items:
        values = [opt_float(v) for v in as_list(item.get("embedding"))]
        if not values or any(v is None for v in values):
            raise RelayDecodeError("an embedding is not a list of numbers")
        vectors.append(tuple(v for v in values if v is not None))
    return EmbeddingResult(
        vectors=tuple(vectors),
        model=as_str(as_dict(body).get("model")),
        usage=parse_usage(as_dict(body).get("usage")),
    )


class EmbeddingsResource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create(
        self,
        input: str | Sequence[str],
        *,
        model: str = "text-embedding-ada-002",
        dimensions: int | None = None,
        user: str | None = None,
    ) -> EmbeddingResult:
        """One vector per input string, in input order."""
        body: EmbeddingRequest = {
            "model": model,
            "input": input if isinstance(input, str) else list(input),
        }
        if dimensions is not None:
            body["dimensions"] = dimensions
        if user is not None:
            body["user"] = user
        return parse_embeddings(await self._transport.request_json("POST", PATH, json_body=body))
