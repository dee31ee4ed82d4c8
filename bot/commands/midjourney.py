"""Midjourney commands: /imagine, /blend, /describe, /shorten, /faceswap.

Each submits to the relay (paid: never retried) through
:func:`bot.commands.job_start.start_job`, which stores the job first and hands the accepted
task to the job tracker; progress, the result and its buttons come from the tracker.
Images go to the relay as data URIs. The speed mode is the ``mode`` option, else the
user's ``/settings`` choice, else ``relay.mj_mode``; the bot (Midjourney or Niji) likewise.
"""

from __future__ import annotations

from typing import Final, Literal

from bot.commands.job_start import MAX_IMAGE_BYTES, image_data_uri, mj_submit, start_job
from bot.commands.settings import load_user_settings
from bot.core.context import CommandContext
from bot.core.dispatcher import CommandSpec
from bot.core.gate import Price
from bot.core.options import OptionSpec
from bot.jobs.kinds.midjourney import NAME as MJ_KIND
from bot.relay.types import MjMode

BotType = Literal["MID_JOURNEY", "NIJI_JOURNEY"]
Dimensions = Literal["PORTRAIT", "SQUARE", "LANDSCAPE"]

MJ: Final = "midjourney"  # the capability of every Midjourney command and button
MODES: Final = ("fast", "relax", "turbo")
BOTS: Final = ("mj", "niji")
_BOT_TYPES: Final[dict[str, BotType]] = {"mj": "MID_JOURNEY", "niji": "NIJI_JOURNEY"}
_DIMENSIONS: Final[dict[str, Dimensions]] = {
    "portrait": "PORTRAIT", "square": "SQUARE", "landscape": "LANDSCAPE",
}


def _image(name: str, *, required: bool = False) -> OptionSpec:
    return OptionSpec(name, type="attachment", kinds=("image",), required=required,
                      max_bytes=MAX_IMAGE_BYTES)


async def mj_mode(ctx: CommandContext) -> MjMode:
    chosen = ctx.text("mode") or load_user_settings(ctx).mj_mode
    return "relax" if chosen == "relax" else "turbo" if chosen == "turbo" else "fast"


async def bot_type(ctx: CommandContext) -> BotType:
    chosen = ctx.text("bot") or load_user_settings(ctx).mj_bot
    return _BOT_TYPES.get(chosen, "MID_JOURNEY")


async def imagine(ctx: CommandContext) -> None:
    prompt = ctx.text("prompt") or ""
    references = [ctx.attachment(name) for name in ("image", "image2", "image3")]
    images = [await image_data_uri(a) for a in references if a is not None]
    mode = await mj_mode(ctx)
    bot = await bot_type(ctx)
    mj = ctx.services.relay.mj
    await start_job(
        ctx, mj_submit(lambda tag: mj.imagine(prompt, images=images, bot_type=bot, mode=mode,
                                              state=tag)),
        kind=MJ_KIND, title="imagine", prompt=prompt, mode=mode,
    )


async def blend(ctx: CommandContext) -> None:
    attachments = [ctx.attachment(f"image{n}") for n in range(1, 6)]
    images = [await image_data_uri(a) for a in attachments if a is not None]
    dimensions = _DIMENSIONS.get((ctx.text("dimensions") or "").lower())
    mode = await mj_mode(ctx)
    bot = await bot_type(ctx)
    mj = ctx.services.relay.mj
    await start_job(
        ctx, mj_submit(lambda tag: mj.blend(images, dimensions=dimensions, bot_type=bot,
                                            mode=mode, state=tag)),
        kind=MJ_KIND, title="blend", mode=mode,
    )


async def describe(ctx: CommandContext) -> None:
    attachment = ctx.attachment("image")
    assert attachment is not None  # required option
    mode = await mj_mode(ctx)
    image = await image_data_uri(attachment)
    bot = await bot_type(ctx)
    mj = ctx.services.relay.mj
    await start_job(
        ctx, mj_submit(lambda tag: mj.describe(image, bot_type=bot, mode=mode, state=tag)),
        kind=MJ_KIND, title="describe", mode=mode,
    )


async def shorten(ctx: CommandContext) -> None:
    prompt = ctx.text("prompt") or ""
    mode = await mj_mode(ctx)
    bot = await bot_type(ctx)
    mj = ctx.services.relay.mj
    await start_job(
        ctx, mj_submit(lambda tag: mj.shorten(prompt, bot_type=bot, mode=mode, state=tag)),
        kind=MJ_KIND, title="shorten", prompt=prompt, mode=mode,
    )


async def faceswap(ctx: CommandContext) -> None:
    face, target = ctx.attachment("face"), ctx.attachment("target")
    assert face is not None and target is not None  # required options
    mode = await mj_mode(ctx)
    source, onto = await image_data_uri(face), await image_data_uri(target)
    mj = ctx.services.relay.mj
    await start_job(
        ctx, mj_submit(lambda tag: mj.swap_face(source, onto, mode=mode, state=tag)),
        kind=MJ_KIND, title="faceswap", mode=mode,
    )


_MODE = OptionSpec("mode", choices=MODES)
_BOT = OptionSpec("bot", choices=BOTS)

COMMANDS = (
    CommandSpec("imagine", imagine, options=(
        OptionSpec("prompt", required=True), _image("image"), _image("image2"),
        _image("image3"), _BOT, _MODE,
    ), main=("prompt",), answer="image", capability=MJ, price=Price("mj_imagine", job=True)),
    CommandSpec("blend", blend, options=(
        _image("image1", required=True), _image("image2", required=True), _image("image3"),
        _image("image4"), _image("image5"),
        OptionSpec("dimensions", choices=tuple(_DIMENSIONS)),
    ), answer="image", capability=MJ, price=Price("mj_imagine", job=True)),
    CommandSpec("describe", describe, options=(_image("image", required=True),),
                capability=MJ, price=Price("mj_describe", job=True)),
    CommandSpec("shorten", shorten, options=(OptionSpec("prompt", required=True),),
                main=("prompt",), capability=MJ, price=Price("mj_shorten", job=True)),
    CommandSpec("faceswap", faceswap, options=(
        _image("face", required=True), _image("target", required=True),
    ), answer="image", capability=MJ, price=Price("mj_faceswap", job=True)),
)
