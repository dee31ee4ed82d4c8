"""/video: a Luma video from a prompt, optionally between a first and a last frame.

Luma takes images as URLs, not uploads. An attached image is used through the URL the
platform gives it (Discord CDN); platforms without public file URLs (Telegram, the
console) cannot pass an upload on, so ``image_url`` / ``end_image_url`` take a public
link instead and the user is told so.
"""

from __future__ import annotations

from typing import Final

from bot.commands.job_start import Accepted, start_job
from bot.core.context import CommandContext
from bot.core.dispatcher import CommandSpec
from bot.core.errors import UserError
from bot.core.gate import Price
from bot.core.options import OptionSpec
from bot.jobs.kinds.luma import NAME as LUMA
from bot.jobs.kinds.luma import LumaRequest

ASPECTS: Final = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9")


def _frame(ctx: CommandContext, attachment_option: str, url_option: str) -> str | None:
    link = ctx.text(url_option)
    if link is not None:
        if not link.startswith(("https://", "http://")):
            raise UserError("video.bad_url", option=url_option)
        return link
    attachment = ctx.attachment(attachment_option)
    if attachment is None:
        return None
    if not attachment.url:
        raise UserError("video.needs_url", option=attachment_option, url_option=url_option)
    return attachment.url


async def video(ctx: CommandContext) -> None:
    prompt = ctx.text("prompt") or ""
    start = _frame(ctx, "image", "image_url")
    end = _frame(ctx, "end_image", "end_image_url")
    luma = ctx.services.relay.luma

    async def submit(_tag: str) -> Accepted:  # Luma echoes no tag: a lost answer is reported
        generation = await luma.generate(
            prompt,
            aspect_ratio=ctx.text("aspect"),
            expand_prompt=ctx.flag("expand_prompt"),
            image_url=start,
            image_end_url=end,
            loop=ctx.flag("loop"),
        )
        return Accepted(generation.id)

    await start_job(ctx, submit, kind=LUMA, title="video", prompt=prompt,
                    extra=LumaRequest(start, end).to_json())


COMMANDS = (
    CommandSpec("video", video, options=(
        OptionSpec("prompt", required=True),
        OptionSpec("image", type="attachment", kinds=("image",)),
        OptionSpec("end_image", type="attachment", kinds=("image",)),
        OptionSpec("image_url", max_length=2000),
        OptionSpec("end_image_url", max_length=2000),
        OptionSpec("aspect", choices=ASPECTS),
        OptionSpec("loop", type="bool"),
        OptionSpec("expand_prompt", type="bool"),
    ), main=("prompt",), answer="video", capability="video", price=Price("video", job=True)),
)
