"""/music (Suno) and the buttons under each clip: Extend and Full song.

Description mode takes ``prompt``; custom mode takes ``lyrics`` with ``title`` (and
``tags``). Both clips of a song are delivered by the job tracker as audio with title,
tags, duration and cover art. Extend asks one question — the second to continue at,
optionally followed by ``|`` and new lyrics — and continues that clip; an extended v3.0
clip also gets Full song, which joins the parts (concat). Each button acts once
(:func:`bot.commands.presses.once_per_button`); Extend's answer claims its button again
before paying.
"""

from __future__ import annotations

import re
from typing import Final

from bot.commands.job_start import Accepted, start_job
from bot.commands.presses import (
    PRESS,
    claim_press,
    once_per_button,
    press_key_of,
    release_press,
)
from bot.core.context import AnswerContext, BaseContext, ButtonContext, CommandContext
from bot.core.dispatcher import ButtonRoute, CommandSpec, QuestionRoute
from bot.core.errors import UserError
from bot.core.gate import Price
from bot.core.options import OptionSpec
from bot.jobs.kinds.suno import NAME as SUNO
from bot.jobs.kinds.suno import (
    SUNO_CONCAT,
    SUNO_EXTEND,
    SunoConcatPayload,
    SunoExtendPayload,
    SunoRequest,
    version_of,
)
from bot.lenient import as_dict, as_int

VERSIONS: Final = ("v3.0", "v3.5")
_ASK_ATTEMPTS: Final = 3
ASK_EXTEND: Final = "suno_extend"
# "30", "30s", "30.5" or "0:45" / "1:05" (the clip's length is shown as m:ss).
_EXTEND_RE: Final = re.compile(
    r"^\s*(?:(?P<minutes>\d+):(?P<mmss>[0-5]\d(?:\.\d+)?)|(?P<seconds>\d+(?:\.\d+)?)\s*s?)"
    r"\s*(?:\|\s*(?P<lyrics>.*))?$",
    re.DOTALL,
)


async def music(ctx: CommandContext) -> None:
    prompt, lyrics = ctx.text("prompt"), ctx.text("lyrics")
    title, tags = ctx.text("title"), ctx.text("tags")
    if prompt and lyrics:
        raise UserError("music.both")
    if not prompt and not lyrics:
        raise UserError("music.need_prompt")
    if lyrics and not title:
        raise UserError("music.need_title")
    version = version_of(ctx.text("version"))
    suno = ctx.services.relay.suno

    async def submit(_tag: str) -> Accepted:  # Suno echoes no tag: a lost answer is reported
        return Accepted(await suno.generate(
            version,
            lyrics=lyrics,
            description=None if lyrics else prompt,
            title=title if lyrics else None,
            tags=tags if lyrics else None,
            instrumental=bool(ctx.flag("instrumental")),
        ))

    await start_job(ctx, submit, kind=SUNO, title="music", version=version,
                    prompt=title or prompt or "")


def parse_extend(answer: str) -> tuple[float, str | None] | None:
    """``"30"`` / ``"0:30"`` → (30.0, None); ``"30 | new lyrics"`` → (30.0, "new lyrics");
    None when not a time after the start."""
    match = _EXTEND_RE.match(answer)
    if match is None:
        return None
    lyrics = (match.group("lyrics") or "").strip()
    if match.group("minutes") is not None:
        at = int(match.group("minutes")) * 60 + float(match.group("mmss"))
    else:
        at = float(match.group("seconds"))
    if at <= 0:  # continuing at 0 s pays for a new song, not an extension
        return None
    return at, lyrics or None


async def press_extend(ctx: ButtonContext) -> None:
    await _ask_extend(ctx, SunoExtendPayload.of(ctx.button.payload), attempt=1,
                      press=ctx.button.key)


async def _ask_extend(
    ctx: BaseContext, payload: SunoExtendPayload, *, attempt: int, press: str | None
) -> None:
    duration = payload.duration
    # The question carries the button's payload and how many answers were tried.
    asked = await ctx.ask(
        ASK_EXTEND,
        ctx.t("music.ask_extend", title=payload.title, duration=int(duration or 0) or "?"),
        prefill=str(int(duration // 2)) if duration else "30",
        data={**payload.to_json(), "attempt": attempt, PRESS: press},
    )
    if not asked:
        await ctx.reply(ctx.t("generic.cancelled"))


async def answer_extend(ctx: AnswerContext) -> None:
    """The answer to Extend's question, possibly after a restart."""
    payload = SunoExtendPayload.of(ctx.data)
    duration = payload.duration
    parsed = parse_extend(ctx.answer)
    if parsed is None or (duration and parsed[0] > duration):
        await ctx.reply(ctx.t("music.bad_extend"))
        attempt = as_int(as_dict(ctx.data).get("attempt"), 1)
        if attempt >= _ASK_ATTEMPTS:
            await ctx.reply(ctx.t("generic.cancelled"))
        else:
            await _ask_extend(ctx, payload, attempt=attempt + 1,
                              press=press_key_of(as_dict(ctx.data)))
        return
    await _extend(ctx, payload, parsed[0], parsed[1], press_key_of(as_dict(ctx.data)))


async def _extend(
    ctx: BaseContext, payload: SunoExtendPayload, at: float, new_lyrics: str | None,
    press: str | None,
) -> None:
    # Suno continues in custom mode; without new lyrics the clip's own lyrics carry on.
    lyrics = new_lyrics or payload.lyrics or "[Instrumental]"
    suno = ctx.services.relay.suno

    async def submit(_tag: str) -> Accepted:
        return Accepted(await suno.generate(
            payload.version,
            lyrics=lyrics,
            title=payload.title or None,
            tags=payload.tags or None,
            continue_clip_id=payload.clip,
            continue_at=at,
        ))

    if not await claim_press(ctx, press):
        return
    try:
        await start_job(ctx, submit, kind=SUNO, title="extend", version=payload.version,
                        prompt=payload.title,
                        extra=SunoRequest(extends=payload.clip, continue_at=at).to_json(),
                        press_key=press)
    finally:
        await release_press(ctx, press)  # only if no job was attached to it


async def press_concat(ctx: ButtonContext) -> None:
    clip_id = SunoConcatPayload.of(ctx.button.payload).clip
    suno = ctx.services.relay.suno

    async def submit(_tag: str) -> Accepted:
        return Accepted(await suno.concat(clip_id))

    await start_job(ctx, submit, kind=SUNO, title="full_song", version="v3.0",
                    extra=SunoRequest(concat_of=clip_id).to_json(), press_key=ctx.button.key)


_PRICE: Final = Price("music", job=True)

COMMANDS = (
    CommandSpec("music", music, options=(
        OptionSpec("prompt"),
        OptionSpec("lyrics", max_length=3000),
        OptionSpec("title", max_length=80),
        OptionSpec("tags", max_length=120),
        OptionSpec("instrumental", type="bool"),
        OptionSpec("version", choices=VERSIONS),
    ), main=("prompt",), answer="music", capability="music", price=_PRICE),
)
BUTTONS = (
    ButtonRoute(SUNO_EXTEND, press_extend, capability="music", price=_PRICE,
                claim=once_per_button),
    ButtonRoute(SUNO_CONCAT, press_concat, capability="music", price=_PRICE,
                claim=once_per_button),
)
# The answer submits the extension (the press that asked was refunded): it pays as a button.
QUESTIONS = (QuestionRoute(ASK_EXTEND, answer_extend, capability="music", price=_PRICE),)
