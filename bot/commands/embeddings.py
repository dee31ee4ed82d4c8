"""/embed and /similar: text embeddings and the cosine similarity of two texts.

``/embed`` shows what a vector looks like (dimensions, norm, the first values) and
attaches the whole vector as a JSON file, since 1,536 numbers do not fit a message.
``/similar`` embeds both texts in one request (one call, one charge) and compares them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Final

from bot.core.context import CommandContext
from bot.core.credits import charged_tokens
from bot.core.dispatcher import CommandSpec
from bot.core.gate import Price
from bot.core.models import OutgoingFile
from bot.core.options import OptionSpec
from bot.relay import EmbeddingResult
from bot.relay.errors import RelayDecodeError

SHOWN_VALUES: Final = 8


def norm(vector: Sequence[float]) -> float:
    return math.sqrt(math.fsum(v * v for v in vector))


def cosine_similarity(a: Sequence[float], b: Sequence[float]) -> float:
    """cos(a, b) in [-1, 1]; 0 when either vector is all zeros."""
    if len(a) != len(b):
        raise ValueError(f"vectors differ in length: {len(a)} and {len(b)}")
    length = norm(a) * norm(b)
    if length == 0:
        return 0.0
    return max(-1.0, min(1.0, math.fsum(x * y for x, y in zip(a, b, strict=True)) / length))


async def _embed(ctx: CommandContext, texts: str | list[str], count: int) -> EmbeddingResult:
    services = ctx.services
    model = services.config.models.embedding
    async with ctx.responder.typing():
        result = await services.relay.embeddings.create(
            texts, model=model, user=f"{ctx.chat.platform}:{ctx.user.id}"
        )
    reported = result.usage.total_tokens if result.usage is not None else None
    tokens = charged_tokens(reported, *([texts] if isinstance(texts, str) else texts))
    ctx.bill.add_units("embedding_1k_tokens", tokens)
    await services.store.record_usage(
        ctx.chat.platform, ctx.user.id, ctx.chat.chat_id, kind="embedding",
        model=result.model or model, units=max(1, tokens),
    )
    if len(result.vectors) != count or any(not v for v in result.vectors):
        raise RelayDecodeError(f"expected {count} embedding(s), got {len(result.vectors)}")
    return result


async def embed_command(ctx: CommandContext) -> None:
    text = ctx.text("text") or ""
    result = await _embed(ctx, text, 1)
    vector = result.vectors[0]
    model = result.model or ctx.services.config.models.embedding
    first = ", ".join(f"{v:.4f}" for v in vector[:SHOWN_VALUES])
    more = ", …" if len(vector) > SHOWN_VALUES else ""
    summary = ctx.t("embed.result", model=model, dimensions=len(vector),
                    norm=f"{norm(vector):.4f}", first=f"[{first}{more}]")
    document = {"model": model, "input": text, "dimensions": len(vector),
                "embedding": list(vector)}
    data = json.dumps(document, ensure_ascii=False).encode()
    file = OutgoingFile(data, "embedding.json", "file", "application/json")
    await ctx.reply(summary, files=(file,))


async def similar_command(ctx: CommandContext) -> None:
    a, b = ctx.text("a") or "", ctx.text("b") or ""
    result = await _embed(ctx, [a, b], 2)
    score = cosine_similarity(result.vectors[0], result.vectors[1])
    await ctx.reply(ctx.t("similar.result", score=f"{score:.4f}",
                          model=result.model or ctx.services.config.models.embedding))


_PRICE: Final = Price("embedding_1k_tokens", per="answer")

COMMANDS: Final = (
    CommandSpec("embed", embed_command, options=(OptionSpec("text", required=True),),
                main=("text",), capability="embedding", price=_PRICE),
    CommandSpec(
        "similar",
        similar_command,
        options=(OptionSpec("a", required=True), OptionSpec("b", required=True)),
        main=("a", "b"),
        capability="embedding",
        price=_PRICE,
    ),
)
