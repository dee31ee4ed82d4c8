"""/dalle, /sd and /draw: pictures from DALL·E 3 and from chat-based image models.

Relay image links expire (DALL·E's after about an hour), so every image is downloaded
(size-capped, type-checked) and sent as a file; a link stays in the text only when its
download failed. DALL·E's revised prompt goes with the picture, because it often
differs from what the user asked for. ``/sd`` (stable-diffusion-api) and ``/draw``
(gpt-4-all) are chat models that answer with Markdown image links.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Final

from bot.core.commands.settings import DALLE_SIZES, load_user_settings
from bot.core.context import CommandContext
from bot.core.delivery import fetch_images
from bot.core.dispatcher import CommandSpec
from bot.core.models import AttachmentKind, OutgoingFile
from bot.core.options import OptionSpec
from bot.media import check_kind, extension_for, guess_content_type
from bot.relay import ImageResult

log = logging.getLogger(__name__)

SD_MODEL: Final = "stable-diffusion-api"
DRAW_MODEL: Final = "gpt-4-all"
QUALITIES: Final = ("standard", "hd")
STYLES: Final = ("vivid", "natural")
# DALL·E 3 allows 4000 characters; longer prompts are refused by the relay anyway.
MAX_DALLE_PROMPT: Final = 4000
_IMAGE: Final[tuple[AttachmentKind, ...]] = ("image",)


async def dalle_command(ctx: CommandContext) -> None:
    services = ctx.services
    prompt = ctx.text("prompt") or ""
    size = ctx.text("size") or (await load_user_settings(ctx)).dalle_size
    model = services.config.models.image
    async with ctx.responder.typing():
        results = await services.relay.images.generate(
            prompt,
            model=model,
            size=size,
            quality=ctx.text("quality"),
            style=ctx.text("style"),
            user=f"{ctx.chat.platform}:{ctx.user.id}",
        )
        await services.store.record_usage(
            ctx.chat.platform, ctx.user.id, ctx.chat.chat_id, kind="image", model=model,
            units=len(results),
        )
        files, failed = await _image_files(ctx, results)
    revised = next((r.revised_prompt for r in results if r.revised_prompt), None) or prompt
    lines = [ctx.t("dalle.done", size=size, prompt=revised)]
    if failed:
        lines += ["", ctx.t("images.links", links="\n".join(failed))]
    if not files and not failed:
        lines += ["", ctx.t("images.none")]
    await send_with_files(ctx, "\n".join(lines), files)


async def _image_files(
    ctx: CommandContext, results: tuple[ImageResult, ...]
) -> tuple[tuple[OutgoingFile, ...], tuple[str, ...]]:
    """Files for every result (inline base64 decoded, links downloaded) and failed links."""
    files: list[OutgoingFile] = []
    for number, result in enumerate(results, start=1):
        inline = _decode_inline(result.b64_json, number) if result.b64_json else None
        if inline is not None:
            files.append(inline)
    urls = [r.url for r in results if r.url and not r.b64_json]
    if not urls:
        return tuple(files), ()
    fetched = await fetch_images(ctx.services, urls, ctx.responder.limits)
    return (*files, *fetched.files), fetched.failed_urls


def _decode_inline(encoded: str, number: int) -> OutgoingFile | None:
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        log.warning("DALL·E sent an image that is not valid base64")
        return None
    content_type = guess_content_type(data, "", "image/png")
    check_kind(content_type, _IMAGE)
    return OutgoingFile(data, f"dalle-{number}{extension_for(content_type)}", "image",
                        content_type)


async def send_with_files(ctx: CommandContext, text: str, files: tuple[OutgoingFile, ...]) -> None:
    """Text with files attached, or text first when it is too long for a caption."""
    if not files or len(text) <= ctx.responder.limits.max_caption:
        await ctx.reply(text, files=files)
        return
    await ctx.reply(text)
    await ctx.reply(files=files)


async def sd_command(ctx: CommandContext) -> None:
    await _chat_drawing(ctx, SD_MODEL, ctx.text("prompt") or "")


async def draw_command(ctx: CommandContext) -> None:
    # gpt-4-all only draws when asked to; a bare "a red fox" gets a description instead.
    prompt = ctx.text("prompt") or ""
    await _chat_drawing(ctx, DRAW_MODEL, ctx.t("draw.request", prompt=prompt))


async def _chat_drawing(ctx: CommandContext, model: str, prompt: str) -> None:
    services = ctx.services
    async with ctx.responder.typing():
        answer = await services.relay.chat.generate_images(model, prompt)
        await services.store.record_usage(
            ctx.chat.platform, ctx.user.id, ctx.chat.chat_id, kind="image", model=model
        )
        fetched = await fetch_images(services, answer.image_urls, ctx.responder.limits)
    lines = [answer.text_without_images.strip()] if answer.text_without_images.strip() else []
    if fetched.failed_urls:
        lines.append(ctx.t("images.links", links="\n".join(fetched.failed_urls)))
    if not answer.image_urls:
        lines.append(ctx.t("images.none"))
    await send_with_files(ctx, "\n\n".join(lines), fetched.files)


COMMANDS: Final = (
    CommandSpec(
        "dalle",
        dalle_command,
        options=(
            OptionSpec("prompt", required=True, max_length=MAX_DALLE_PROMPT),
            OptionSpec("size", choices=DALLE_SIZES),
            OptionSpec("quality", choices=QUALITIES),
            OptionSpec("style", choices=STYLES),
        ),
        main=("prompt",),
    ),
    CommandSpec("sd", sd_command, options=(OptionSpec("prompt", required=True),),
                main=("prompt",)),
    CommandSpec("draw", draw_command, options=(OptionSpec("prompt", required=True),),
                main=("prompt",)),
)
