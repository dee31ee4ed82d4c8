"""/complete: plain text completion (``/v1/completions``), streamed like chat.

Completion models continue a text rather than answer it, so there is no conversation
memory and no persona: the prompt is sent as it is and the continuation is shown. When
the model stops because of ``max_tokens`` a short note says so, since a cut-off text
otherwise looks like a bug.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

from bot.core.context import CommandContext
from bot.core.credits import charged_tokens
from bot.core.dispatcher import CommandSpec
from bot.core.gate import Price
from bot.core.options import OptionSpec
from bot.core.streaming import streaming_reply
from bot.relay import DeltaStream

MAX_COMPLETION_TOKENS: Final = 4096


class _FinishReason:
    """Remembers the finish reason while the deltas pass through to the streamer."""

    def __init__(self) -> None:
        self.value: str | None = None
        self.tokens = 0  # the relay's usage, when it reports one

    async def texts(self, stream: DeltaStream) -> AsyncIterator[str]:
        async for delta in stream:
            if delta.usage is not None and delta.usage.total_tokens:
                self.tokens = delta.usage.total_tokens
            if delta.finish_reason:
                self.value = delta.finish_reason
            if delta.text:
                yield delta.text


async def complete_command(ctx: CommandContext) -> None:
    services = ctx.services
    prompt = ctx.text("prompt") or ""
    model = ctx.text("model") or services.config.models.completion
    max_tokens = ctx.integer("max_tokens")
    streamer = streaming_reply(ctx)
    finish = _FinishReason()
    async with ctx.responder.typing():
        stream = services.relay.completions.stream(
            model, prompt, max_tokens=max_tokens, user=f"{ctx.chat.platform}:{ctx.user.id}"
        )
        async with stream:
            result = await streamer.run(finish.texts(stream))
    tokens = charged_tokens(finish.tokens, prompt, result.text)
    ctx.bill.add_units("completion_1k_tokens", tokens)
    await services.store.record_usage(
        ctx.chat.platform, ctx.user.id, ctx.chat.chat_id, kind="completion", model=model
    )
    if result.error is None and finish.value == "length":
        if max_tokens is None:
            await ctx.reply(ctx.t("complete.cut_off_model"))
        else:
            await ctx.reply(ctx.t("complete.cut_off", max_tokens=max_tokens))


COMMANDS: Final = (
    CommandSpec(
        "complete",
        complete_command,
        options=(
            OptionSpec("prompt", required=True),
            OptionSpec("model", max_length=100, suggest_from="chat_models"),
            OptionSpec("max_tokens", type="int", minimum=1, maximum=MAX_COMPLETION_TOKENS),
        ),
        main=("prompt",),
        capability="completion",
        price=Price("completion_1k_tokens", per="answer"),
    ),
)
