"""/dalle, /sd and /draw: pictures from DALL·E 3 and from chat-based image models.

Relay image links expire (DALL·E's after about an hour), so every image is downloaded
(size-capped, type-checked) and sent as a file; a link stays in the text only when its
download failed. DALL·E's revised prompt goes with the picture, because it often
differs from what the user asked for. ``/sd`` (stable-diffusion-api) and ``/draw``
(gpt-4-all) are chat models that answer with Markdown image links; their answers are
streamed (they often take minutes) with the links kept out of the shown text.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import AsyncIterator
from typing import Final

from bot.commands.settings import DALLE_SIZES, load_user_settings
from bot.core.context import CommandContext
from bot.core.delivery import FetchedImages, fetch_images
from bot.core.dispatcher import CommandSpec
from bot.core.gate import Price
from bot.core.models import AttachmentKind, OutgoingFile
from bot.core.options import OptionSpec
from bot.core.streaming import streaming_reply
from bot.media import check_kind, extension_for, guess_content_type
from bot.relay import ChatMessage, DeltaStream, ImageResult, extract_images
from bot.relay.errors import RelayError

log = logging.getLogger(__name__)

SD_MODEL: Final = "stable-diffusion-api"
DRAW_MODEL: Final = "gpt-4-all"
QUALITIES: Final = ("standard", "hd")
STYLES: Final = ("vivid", "natural")
# DALL·E 3 allows 4000 characters; longer prompts are refused by the relay anyway.
MAX_DALLE_PROMPT: Final = 4000
_IMAGE: Final[tuple[AttachmentKind, ...]] = ("image",)
# The shapes extract_images removes: [label](url) or ![label](url "title").
_MARKDOWN_LINK: Final = re.compile(r'\[[^\]]*\]\((https?://[^)\s]+)(?:\s+"[^"]*")?\)')
_ADDRESS: Final = re.compile(r"[^)\s]*")
_TITLE_SO_FAR: Final = re.compile(r'\s+(?:"[^"]*"?)?')
_SCHEMES: Final = ("http://", "https://")
_BLANK_RUN: Final = re.compile(r"\n{3,}")
# Longer than any real link: a "[" this far back was just a bracket.
_MAX_LINK_CHARS: Final = 4096


async def dalle_command(ctx: CommandContext) -> None:
    services = ctx.services
    prompt = ctx.text("prompt") or ""
    size = ctx.text("size") or load_user_settings(ctx).dalle_size
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
    """Stream the model's words, then send the pictures it linked as files.

    Streamed because drawing through chat often takes longer than ``relay.timeout_s``;
    for a stream that only bounds the silence between chunks.
    """
    services = ctx.services
    streamer = streaming_reply(ctx)
    drawing = _Drawing(ctx)
    async with ctx.responder.typing():
        stream = services.relay.chat.stream(
            model,
            [ChatMessage(role="user", content=prompt)],
            user=f"{ctx.chat.platform}:{ctx.user.id}",
        )
        async with stream:
            await streamer.run(drawing.texts(stream))
        await services.store.record_usage(
            ctx.chat.platform, ctx.user.id, ctx.chat.chat_id, kind="image", model=model
        )
        fetched = drawing.fetched
        if fetched is None:  # the stream broke off: still deliver what was paid for
            fetched = await drawing.fetch()
            if fetched.failed_urls:
                await ctx.reply(ctx.t("images.links", links="\n".join(fetched.failed_urls)))
    if fetched.files:
        await ctx.reply(files=fetched.files)


class _Drawing:
    """The streamed answer of a chat image model, with its image links taken out."""

    def __init__(self, ctx: CommandContext) -> None:
        self._ctx = ctx
        self._prose = ProseWithoutImages()
        self._shown = False
        self.fetched: FetchedImages | None = None  # set when the answer ended normally

    async def texts(self, stream: DeltaStream) -> AsyncIterator[str]:
        """What to show: the prose as it arrives, then a note about the pictures."""
        try:
            async for delta in stream:
                if delta.text:
                    yield self._show(self._prose.feed(delta.text))
        except RelayError:
            # A break before any shown text would be raised, losing a picture already
            # linked; with some text shown, the break is noted and the picture still sent.
            yield self._show(self._prose.finish())
            if not self._shown and self.image_urls():
                yield self._show(self._ctx.t("draw.ready"))
            raise
        yield self._show(self._prose.finish())
        self.fetched = await self.fetch()
        yield self._show(self._note(self.fetched))

    def _show(self, text: str) -> str:
        self._shown = self._shown or bool(text.strip())
        return text

    def image_urls(self) -> tuple[str, ...]:
        urls = dict.fromkeys(self._prose.hidden_urls)
        urls.update(dict.fromkeys(extract_images(self._prose.raw).image_urls))
        return tuple(urls)

    async def fetch(self) -> FetchedImages:
        ctx = self._ctx
        return await fetch_images(ctx.services, self.image_urls(), ctx.responder.limits)

    def _note(self, fetched: FetchedImages) -> str:
        t = self._ctx.t
        gap = "\n" * max(0, 2 - self._prose.trailing_newlines)
        if fetched.failed_urls:
            return gap + t("images.links", links="\n".join(fetched.failed_urls))
        if not fetched.files:
            return gap + t("images.none")
        return "" if self._shown else t("draw.ready")


class ProseWithoutImages:
    """Streamed markdown with its image links left out, decided as early as possible.

    Shown text can only grow, so from a ``[`` that may start a link on, text is held
    back until the link is complete: an image link is dropped (its URL remembered),
    anything else is let through unchanged. Blank-line runs left by a dropped link are
    collapsed as ``extract_images`` does.
    """

    def __init__(self) -> None:
        self.raw = ""
        self.hidden_urls: list[str] = []
        self._decided = 0  # raw[:_decided] has been shown or dropped
        self._newlines = 0  # how many newlines end what was shown

    @property
    def trailing_newlines(self) -> int:
        """How many newlines end the text shown so far."""
        return self._newlines

    def feed(self, chunk: str) -> str:
        self.raw += chunk
        return self._advance(final=False)

    def finish(self) -> str:
        """The held-back rest, once the stream has ended."""
        return self._advance(final=True)

    def _advance(self, *, final: bool) -> str:
        raw = self.raw
        shown: list[str] = []
        while True:
            start = raw.find("[", self._decided)
            if start < 0:
                # A trailing "!" may be the start of "![".
                end = len(raw) - 1 if raw.endswith("!") and not final else len(raw)
                shown.append(self._pass(raw[self._decided:end]))
                self._decided = max(self._decided, end)
                return "".join(shown)
            begin = start - 1 if start > self._decided and raw[start - 1] == "!" else start
            shown.append(self._pass(raw[self._decided:begin]))
            self._decided = begin
            link = _MARKDOWN_LINK.match(raw, start)
            if link is not None:
                segment = raw[begin:link.end()]
                found = extract_images(segment)
                if found.image_urls and not found.text_without_images:
                    self.hidden_urls.extend(found.image_urls)
                else:
                    shown.append(self._pass(segment))
                self._decided = link.end()
                continue
            tail = raw[start:]
            if not final and len(tail) <= _MAX_LINK_CHARS and _may_become_link(tail):
                return "".join(shown)
            shown.append(self._pass(raw[begin:start + 1]))
            self._decided = start + 1

    def _pass(self, piece: str) -> str:
        """``piece`` with at most one blank line where it meets the text before it."""
        piece = _BLANK_RUN.sub("\n\n", piece)
        leading = len(piece) - len(piece.lstrip("\n"))
        piece = piece[leading - min(leading, max(0, 2 - self._newlines)):]
        body = piece.rstrip("\n")
        trailing = len(piece) - len(body)
        self._newlines = trailing if body else self._newlines + trailing
        return piece


def _may_become_link(tail: str) -> bool:
    """Whether ``tail`` (starting with "[") can still grow into a markdown link."""
    label_end = tail.find("]")
    if label_end < 0:
        return True
    rest = tail[label_end + 1:]
    if not rest:
        return True
    if rest[0] != "(":
        return False
    target = rest[1:]
    address = _ADDRESS.match(target)
    url = address.group() if address else ""
    if len(url) == len(target):  # the address is still arriving
        return url.startswith(_SCHEMES) or any(s.startswith(url) for s in _SCHEMES)
    return url.startswith(_SCHEMES) and _TITLE_SO_FAR.fullmatch(target[len(url):]) is not None


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
        answer="image",
        capability="image",
        price=Price("dalle"),
    ),
    CommandSpec("sd", sd_command, options=(OptionSpec("prompt", required=True),),
                main=("prompt",), answer="image", capability="image", price=Price("sd")),
    CommandSpec("draw", draw_command, options=(OptionSpec("prompt", required=True),),
                main=("prompt",), answer="image", capability="image", price=Price("draw")),
)
