"""What a reply looks like as a Discord message: plain text, or embeds around images.

A reply carrying images (job previews and results, /dalle...) is shown as embeds: the
text becomes the first embed's description (up to 4,096 characters, where message
content allows 2,000) and each image is an uploaded attachment the embed shows through
``attachment://<filename>``. Replies without images stay plain messages.

An edit without files keeps a message's images (the core's rule: files in an edit are
optional, e.g. a job's status text changes while its preview does not), so
:class:`ShownImages` remembers which messages show which attachments in their embeds.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import discord

from adapters.discord.components import view_for
from adapters.discord.convert import MAX_TEXT, no_mentions, plain_links, uploads_for, with_note
from bot.core.models import OutgoingFile, Reply
from bot.core.render import split_text

MAX_DESCRIPTION: Final = 4096
MAX_EMBEDS: Final = 10
# What Discord renders as an embed image; anything else stays a plain attachment.
EMBEDDABLE: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_UNSAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]+")
_REMEMBERED: Final = 1000


def embeddable(file: OutgoingFile) -> bool:
    return file.content_type.split(";")[0].strip().lower() in EMBEDDABLE


def shows_images(reply: Reply) -> bool:
    return any(embeddable(f) for f in reply.files)


def text_limit(reply: Reply) -> int:
    """How much text one message of ``reply`` can show."""
    return MAX_DESCRIPTION if shows_images(reply) else MAX_TEXT


def pieces_of(reply: Reply) -> list[Reply]:
    """``reply`` in as many messages as its text needs; files and buttons stay on the
    last piece, the reply reference on the first."""
    if len(reply.text) <= text_limit(reply):
        return [reply]
    texts = split_text(reply.text, MAX_TEXT)
    last = len(texts) - 1
    return [
        dataclasses.replace(
            reply,
            text=text,
            files=reply.files if i == last else (),
            buttons=reply.buttons if i == last else (),
            reply_to=reply.reply_to if i == 0 else None,
        )
        for i, text in enumerate(texts)
    ]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """discord.py keyword arguments, and the attachments its embeds show (empty: plain)."""

    kwargs: dict[str, Any]
    images: tuple[str, ...] = ()


@dataclass(slots=True)
class ShownImages:
    """Message id → attachment names its embeds show, so text-only edits keep them."""

    _by_message: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, message_id: str) -> tuple[str, ...]:
        return self._by_message.get(message_id, ())

    def remember(self, message_id: str, images: tuple[str, ...]) -> None:
        self._by_message.pop(message_id, None)
        if not images:
            return
        self._by_message[message_id] = images  # newest last
        if len(self._by_message) > _REMEMBERED:  # bounded on a busy bot
            for oldest in list(self._by_message)[: _REMEMBERED // 2]:
                del self._by_message[oldest]


def compose(reply: Reply, upload_limit: int, locale: str) -> Outgoing:
    """A new message: content, files, embeds, buttons; nobody is ever mentioned, and
    only web links are links."""
    reply = dataclasses.replace(reply, text=plain_links(reply.text))
    files = _safe_image_names(reply.files)
    upload = uploads_for(files, upload_limit, locale)
    kwargs: dict[str, Any] = {"allowed_mentions": no_mentions()}
    images: tuple[str, ...] = ()
    if shows_images(reply):
        kept = {f.filename for f in upload.files}
        images = tuple(f.filename for f in files if embeddable(f) and f.filename in kept)
        text = with_note(reply.text, upload.note, MAX_DESCRIPTION)
        kwargs["embeds"] = embeds_for(text, images)
    else:
        text = with_note(reply.text, upload.note)
        if text:
            kwargs["content"] = text
    if upload.files:
        kwargs["files"] = list(upload.files)
    view = view_for(reply.buttons)
    if view is not None:
        kwargs["view"] = view
    return Outgoing(kwargs, images[:MAX_EMBEDS])


def compose_edit(reply: Reply, upload_limit: int, locale: str, shown: Sequence[str]) -> Outgoing:
    """An edit: text and buttons replaced; new files replace the old attachments, and
    without files a message showing images keeps them (its embed text is updated)."""
    if not reply.files and shown:
        reply = dataclasses.replace(reply, text=plain_links(reply.text))
        images = tuple(shown)
        kwargs: dict[str, Any] = {
            "allowed_mentions": no_mentions(),
            "content": None,
            "embeds": embeds_for(reply.text[:MAX_DESCRIPTION], images),
            "view": view_for(reply.buttons),
        }
        return Outgoing(kwargs, images)
    outgoing = compose(reply, upload_limit, locale)
    kwargs = outgoing.kwargs
    kwargs.setdefault("content", None)
    kwargs.setdefault("embeds", [])  # a message that showed images becomes plain
    kwargs.setdefault("view", None)
    if "files" in kwargs:
        kwargs["attachments"] = kwargs.pop("files")
    return outgoing


def embeds_for(text: str, images: Sequence[str]) -> list[discord.Embed]:
    """The text in the first embed, then one embed per image (at most 10 embeds)."""
    first = discord.Embed(description=text or None)
    embeds = [first]
    for index, name in enumerate(images[:MAX_EMBEDS]):
        embed = first if index == 0 else discord.Embed()
        embed.set_image(url=f"attachment://{name}")
        if index:
            embeds.append(embed)
    return embeds


def _safe_image_names(files: Sequence[OutgoingFile]) -> tuple[OutgoingFile, ...]:
    """Images renamed to what ``attachment://`` can name: Discord rewrites other
    characters in uploaded names, and two images of one message need distinct names."""
    taken: set[str] = set()
    renamed: list[OutgoingFile] = []
    for file in files:
        if not embeddable(file):
            renamed.append(file)
            continue
        stem, dot, extension = _UNSAFE_NAME.sub("_", file.filename).rpartition(".")
        stem, extension = (stem, extension) if dot else (extension, "")
        stem = stem.strip("._") or "image"
        name = f"{stem}.{extension}" if extension else stem
        number = 2
        while name in taken:
            name = f"{stem}-{number}.{extension}" if extension else f"{stem}-{number}"
            number += 1
        taken.add(name)
        renamed.append(dataclasses.replace(file, filename=name))
    return tuple(renamed)
