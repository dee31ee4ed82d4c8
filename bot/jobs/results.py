"""The messages that deliver a finished job: files (downloaded, never bare links), buttons.

Relay and Discord CDN links expire, so results are downloaded and uploaded as files. A
link is shown instead only when the file cannot be fetched or is too large to upload.
Buttons are stored first (:meth:`Store.create_buttons`) so each carries a short key.
Suno audio carries its title, performer, duration and, when a cover fits Telegram's rule
for thumbnails, that cover as a thumbnail; the large cover is still sent as an image.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Final

from bot.core.context import Services
from bot.core.delivery import button_rows
from bot.core.models import AttachmentKind, Button, OutgoingFile, PlatformLimits, Reply
from bot.core.render import split_text
from bot.core.texts import LANGUAGES, t
from bot.jobs.records import LUMA, MJ, job_locale, number_of, obj, short, text_of
from bot.media import MediaError, download, image_size
from bot.relay.errors import RelayError
from bot.store.base import ButtonSpec, Job, JobState, JsonValue

log = logging.getLogger(__name__)

MJ_ACTION: Final = "mj_action"
SUNO_EXTEND: Final = "suno_extend"
SUNO_CONCAT: Final = "suno_concat"
_NUMBERED_RE: Final = re.compile(r"^\s*([1-9])\ufe0f?\u20e3\s*(.+?)\s*$", re.MULTILINE)
_PROMPT_CHOICE_RE: Final = re.compile(r"^MJ::Job::(PicReader|PromptAnalyzer)::(\d)$")
_TEXT_ACTIONS: Final = frozenset({"DESCRIBE", "SHORTEN"})
SUNO_PERFORMER: Final = "Suno"
# Telegram shows an audio's cover only from a JPEG of at most 320x320 pixels and 200 kB;
# anything else it drops, so such covers are not offered as thumbnails at all.
THUMBNAIL_MAX_BYTES: Final = 200 * 1000  # "less than 200 kB"
THUMBNAIL_MAX_SIDE: Final = 320


# Midjourney's own button labels, as the catalogue names them (放大, 变换… in Chinese).
_MJ_LABEL_KEYS: Final[Mapping[str, str]] = MappingProxyType({
    "Upscale (Subtle)": "mj.button.upscale_subtle",
    "Upscale (Creative)": "mj.button.upscale_creative",
    "Redo Upscale (Subtle)": "mj.button.redo_upscale_subtle",
    "Redo Upscale (Creative)": "mj.button.redo_upscale_creative",
    "Upscale (2x)": "mj.button.upscale_2x",
    "Upscale (4x)": "mj.button.upscale_4x",
    "Vary (Subtle)": "mj.button.vary_subtle",
    "Vary (Strong)": "mj.button.vary_strong",
    "Vary (Region)": "mj.button.vary_region",
    "Make Variations": "mj.button.make_variations",
    "Zoom Out 2x": "mj.button.zoom_out_2x",
    "Zoom Out 1.5x": "mj.button.zoom_out_1_5x",
    "Custom Zoom": "mj.button.custom_zoom",
    "Make Square": "mj.button.make_square",
    "Reroll": "mj.button.reroll",
    "Imagine all": "mj.button.imagine_all",
})


def button_label(label: str, emoji: str, custom_id: str = "", locale: str = "en") -> str:
    """``emoji + label`` (a label Midjourney is known to send in the reader's language);
    custom emoji names such as ``upscale_1`` are left out."""
    shown = emoji if any(not c.isascii() for c in emoji) else ""
    key = _MJ_LABEL_KEYS.get(label.strip())
    label = t(key, locale) if key is not None else label
    text = " ".join(part for part in (shown, label.strip()) if part)
    return text or custom_id.split("::")[-1] or "?"


# What a Midjourney button does, in words, for buttons whose label is only an emoji.
_MJ_NAME_RULES: Final = (
    (re.compile(r"^MJ::(?:JOB::reroll::|Picread::Retry)"), "mj.name.reroll"),
    (re.compile(r"^MJ::JOB::pan_left::"), "mj.name.pan_left"),
    (re.compile(r"^MJ::JOB::pan_right::"), "mj.name.pan_right"),
    (re.compile(r"^MJ::JOB::pan_up::"), "mj.name.pan_up"),
    (re.compile(r"^MJ::JOB::pan_down::"), "mj.name.pan_down"),
)


def button_names(custom_id: str) -> tuple[str, ...]:
    """The names of a Midjourney button in every catalogue language (``reroll``,
    ``重新生成``), or its number for a describe/shorten choice (1️⃣ → ``1``)."""
    choice = _PROMPT_CHOICE_RE.match(custom_id)
    if choice is not None:
        return (choice.group(2),)
    for pattern, key in _MJ_NAME_RULES:
        if pattern.match(custom_id):
            return tuple(dict.fromkeys(t(key, language) for language in LANGUAGES))
    return ()


def fits_thumbnail(data: bytes) -> bool:
    """Whether ``data`` is a JPEG small enough to be an audio thumbnail (Telegram's rule)."""
    if not data.startswith(b"\xff\xd8\xff") or len(data) >= THUMBNAIL_MAX_BYTES:
        return False
    size = image_size(data)
    return size is not None and min(size) > 0 and max(size) <= THUMBNAIL_MAX_SIDE


def numbered_prompts(text: str) -> dict[int, str]:
    """``1️⃣ a cat …`` lines → {1: "a cat …"}; for SHORTEN only the part after the heading."""
    heading = text.find("Shortened prompts")
    body = text[heading:] if heading >= 0 else text
    return {int(n): line for n, line in _NUMBERED_RE.findall(body)}


class ResultBuilder:
    def __init__(self, services: Services, limits: PlatformLimits) -> None:
        self._services = services
        self._limits = limits

    async def replies(self, job: Job) -> list[Reply]:
        """The result messages of ``job``, each within the platform's text limit."""
        return [piece for reply in await self._replies(job) for piece in self._fit(reply)]

    def _fit(self, reply: Reply) -> list[Reply]:
        # A describe/shorten answer or a long prompt can exceed a message; files and
        # buttons go on the last piece, as ctx.reply does for commands.
        limits = self._limits
        if limits.text_length(reply.text) <= limits.max_text:
            return [reply]
        pieces = split_text(reply.text, limits.max_text, limits.text_length)
        head = [Reply(piece, reply_to=reply.reply_to if i == 0 else None)
                for i, piece in enumerate(pieces[:-1])]
        return [*head, replace(reply, text=pieces[-1], reply_to=None)]

    async def _replies(self, job: Job) -> list[Reply]:
        locale = job_locale(job)
        outcome = job.outcome or job.state
        ids = {"id": job.id, "relay_id": job.relay_task_id or "?"}
        if outcome is JobState.FAILED:
            reason = short(job.error or "", 300) or t("jobs.no_reason", locale)
            return [Reply(t("jobs.failed", locale, reason=reason, **ids))]
        if outcome is JobState.CANCELLED:
            return [Reply(t("jobs.cancelled", locale, **ids))]
        if outcome is JobState.TIMED_OUT:
            return [Reply(t("jobs.timed_out", locale, **ids))]
        if job.kind == MJ:
            return [await self._midjourney(job, locale)]
        if job.kind == LUMA:
            return [await self._luma(job, locale)]
        return await self._suno(job, locale)

    # -- Midjourney ------------------------------------------------------------------

    async def _midjourney(self, job: Job, locale: str) -> Reply:
        result = obj(job.result)
        action = text_of(result, "action")
        task_id = text_of(result, "task_id") or job.relay_task_id or ""
        if action in _TEXT_ACTIONS:
            text = text_of(result, "final_prompt") if action == "DESCRIBE" else ""
            text = text or text_of(result, "description") or text_of(result, "prompt")
            header = t("mj.describe_result" if action == "DESCRIBE" else "mj.shorten_result",
                       locale, id=job.id)
            rows = await self._mj_buttons(job, result, task_id, numbered_prompts(text))
            return Reply(f"{header}\n\n{text}", buttons=rows)
        caption = t("mj.result", locale, title=text_of(obj(job.request), "title") or "imagine",
                    id=job.id, prompt=short(text_of(result, "prompt"), 700))
        rows = await self._mj_buttons(job, result, task_id, {})
        image = await self._mj_image(text_of(result, "image_url"), task_id)
        if image is None:
            link = text_of(result, "image_url") or "?"
            return Reply(t("jobs.file_unavailable", locale, text=caption, url=link), buttons=rows)
        return Reply(caption, files=(image,), buttons=rows)

    async def _mj_image(self, url: str, task_id: str) -> OutgoingFile | None:
        if url:
            found = await self.fetch(url, "image")
            if found is not None:
                return found
        try:  # the relay's own proxy outlives Discord CDN links
            image = await self._services.relay.mj.image(task_id)
        except RelayError as exc:
            log.info("no image for Midjourney task %s: %s", task_id, exc)
            return None
        if len(image.data) > self._limits.max_upload_bytes:
            return None
        return OutgoingFile(image.data, f"mj-{task_id}.png", "image", image.content_type)

    async def _mj_buttons(
        self, job: Job, result: dict[str, JsonValue], task_id: str, prompts: dict[int, str]
    ) -> tuple[tuple[Button, ...], ...]:
        specs: list[ButtonSpec] = []
        raw = result.get("buttons")
        for item in raw if isinstance(raw, list) else []:
            button = obj(item)
            custom_id = text_of(button, "custom_id")
            if not custom_id or "BOOKMARK" in custom_id.upper():
                continue  # a Discord bookmark makes no image; nothing to show for it
            choice = _PROMPT_CHOICE_RE.match(custom_id)
            payload: dict[str, JsonValue] = {"task": task_id, "mode": job.relay_mode}
            if choice is not None and int(choice.group(2)) in prompts:
                payload["prompt"] = prompts[int(choice.group(2))]
            label = button_label(text_of(button, "label"), text_of(button, "emoji"), custom_id,
                                 job_locale(job))
            specs.append(ButtonSpec(MJ_ACTION, label, text_of(button, "emoji"), custom_id,
                                    payload))
        return await self._rows(job, specs)

    async def _rows(
        self, job: Job, specs: Sequence[ButtonSpec]
    ) -> tuple[tuple[Button, ...], ...]:
        if not specs:
            return ()
        keys = await self._services.store.create_buttons(job.id, specs)
        buttons = [Button(k.label, k.key, names=button_names(k.custom_id or "")) for k in keys]
        return button_rows(buttons, self._limits)

    # -- Suno ------------------------------------------------------------------------

    async def _suno(self, job: Job, locale: str) -> list[Reply]:
        request = obj(job.request)
        version = job.relay_version or "v3.0"
        extended = bool(text_of(request, "extends"))
        replies: list[Reply] = []
        raw = obj(job.result).get("clips")
        for item in raw if isinstance(raw, list) else []:
            clip = obj(item)
            title = text_of(clip, "title") or t("music.untitled", locale)
            if text_of(clip, "status") == "error" or not text_of(clip, "audio_url"):
                reason = text_of(clip, "error") or t("jobs.no_reason", locale)
                replies.append(Reply(t("music.clip_failed", locale, title=title, reason=reason)))
                continue
            duration = number_of(clip, "duration")
            caption = t("music.result", locale, title=title, id=job.id,
                        tags=text_of(clip, "tags") or "-",
                        duration=_minutes(duration) if duration else "?")
            specs = [ButtonSpec(SUNO_EXTEND, t("music.extend", locale), payload={
                "clip": text_of(clip, "id"), "version": version, "title": title,
                "tags": text_of(clip, "tags"), "lyrics": text_of(clip, "lyrics")[:1500],
                "duration": duration,
            })]
            if extended and version == "v3.0":
                specs.append(ButtonSpec(SUNO_CONCAT, t("music.full_song", locale),
                                        payload={"clip": text_of(clip, "id")}))
            rows = await self._rows(job, specs)
            audio = await self.fetch(text_of(clip, "audio_url"), "audio")
            cover = await self.fetch(text_of(clip, "image_url"), "image")
            if audio is not None:
                audio = replace(audio, title=title, performer=SUNO_PERFORMER,
                                duration_s=duration, thumbnail=await self._thumbnail(clip, cover))
            files = tuple(f for f in (audio, cover) if f is not None)
            if audio is None:
                caption = t("jobs.file_unavailable", locale, text=caption,
                            url=text_of(clip, "audio_url"))
            replies.append(Reply(caption, files=files, buttons=rows))
        return replies or [Reply(t("jobs.failed", locale, id=job.id,
                                   relay_id=job.relay_task_id or "?",
                                   reason=t("music.no_clips", locale)))]

    async def _thumbnail(
        self, clip: dict[str, JsonValue], cover: OutgoingFile | None
    ) -> bytes | None:
        """The cover as an audio thumbnail: the one already fetched when it fits, else
        Suno's small cover (the fetched one is usually the large); None if neither fits."""
        if cover is not None and fits_thumbnail(cover.data):
            return cover.data
        small_url = text_of(clip, "thumbnail_url")
        if not small_url or small_url == text_of(clip, "image_url"):
            return None
        small = await self.fetch(small_url, "image", max_bytes=THUMBNAIL_MAX_BYTES)
        if small is None or not fits_thumbnail(small.data):
            log.info("Suno cover %s is no thumbnail (JPEG <= 320x320, 200 kB)", small_url)
            return None
        return small.data

    # -- Luma ------------------------------------------------------------------------

    async def _luma(self, job: Job, locale: str) -> Reply:
        result = obj(job.result)
        caption = t("video.result", locale, id=job.id,
                    prompt=short(text_of(result, "prompt") or
                                 text_of(obj(job.request), "prompt"), 700))
        url = text_of(result, "video_url")
        video = await self.fetch(url, "video")
        if video is None and text_of(result, "download_url"):
            video = await self.fetch(text_of(result, "download_url"), "video")
        if video is None:
            return Reply(t("jobs.file_unavailable", locale, text=caption, url=url))
        return Reply(caption, files=(video,))

    # -- downloads -------------------------------------------------------------------

    async def fetch(
        self, url: str, kind: AttachmentKind, *, max_bytes: int | None = None
    ) -> OutgoingFile | None:
        """Download ``url`` as a file of ``kind``; None when it cannot be had."""
        if not url:
            return None
        config = self._services.config
        cap = min(int(config.bot.max_download_mb * 1024 * 1024), self._limits.max_upload_bytes)
        if max_bytes is not None:
            cap = min(cap, max_bytes)
        try:
            media = await download(self._services.http, url, max_bytes=cap, allowed=(kind,),
                                   policy=self._services.egress,
                                   timeout_s=config.relay.timeout_s)
        except MediaError as exc:
            log.info("result file not delivered as a file (%s): %s", exc, url)
            return None
        return OutgoingFile(media.data, media.filename, kind, media.content_type)


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"
