"""What Discord refuses: slash command definitions, message bodies and thread names.

A refused body is answered like Discord does (400, code 50035 "Invalid Form Body" or
50006 for an empty message) and listed in the fake's ``unknown`` so the test fails:
the bot must never send what real Discord would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Final

from tests.fakes.discord_records import Json

MAX_CONTENT: Final = 2000
MAX_EMBEDS: Final = 10
MAX_DESCRIPTION: Final = 4096
MAX_TITLE: Final = 256
MAX_FIELDS: Final = 25
MAX_FOOTER: Final = 2048
MAX_EMBED_TOTAL: Final = 6000
MAX_THREAD_NAME: Final = 100
ATTACHMENT_SCHEME: Final = "attachment://"
INVALID_FORM_BODY: Final = 50035
EMPTY_MESSAGE: Final = 50006


class Refused(Exception):
    """A request body Discord would answer with 400."""

    def __init__(self, problems: Sequence[str], code: int = INVALID_FORM_BODY) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)
        self.code = code


_NAME_RE: Final = re.compile(r"^[-_\w]{1,32}$")


def command_problems(command: Json) -> list[str]:
    """What Discord would refuse in a slash command (names, lengths, counts, order)."""
    name = command.get("name", "")
    problems = []
    if not _NAME_RE.match(name) or name != name.lower():
        problems.append(f"/{name}: invalid name")
    if not 1 <= len(command.get("description", "")) <= 100:
        problems.append(f"/{name}: description must be 1-100 characters")
    options = command.get("options", [])
    if len(options) > 25:
        problems.append(f"/{name}: more than 25 options")
    seen_optional = False
    for option in options:
        label = f"/{name} {option.get('name')}"
        if not _NAME_RE.match(option.get("name", "")):
            problems.append(f"{label}: invalid option name")
        if not 1 <= len(option.get("description", "")) <= 100:
            problems.append(f"{label}: description must be 1-100 characters")
        if len(option.get("choices", [])) > 25:
            problems.append(f"{label}: more than 25 choices")
        if option.get("choices") and option.get("autocomplete"):
            problems.append(f"{label}: choices and autocomplete together")
        if option.get("required"):
            if seen_optional:
                problems.append(f"{label}: required option after an optional one")
        else:
            seen_optional = True
    return problems


def check_message(body: Json, attachment_names: Collection[str], *, creating: bool) -> None:
    """Raise :class:`Refused` for content or embeds Discord would not accept.

    ``attachment_names``: the files the message will have (uploaded with this request,
    plus those an edit keeps), which ``attachment://`` image URLs must name."""
    problems: list[str] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        problems.append(f"content: {len(content)} characters, at most {MAX_CONTENT}")
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        problems.append(f"embeds: {len(embeds)} embeds, at most {MAX_EMBEDS}")
    total = 0
    for index, embed in enumerate(embeds):
        total += _embed_length(embed)
        problems += [f"embeds.{index}.{p}" for p in _embed_problems(embed, attachment_names)]
    if total > MAX_EMBED_TOTAL:
        problems.append(f"embeds: {total} characters in all, at most {MAX_EMBED_TOTAL}")
    if problems:
        raise Refused(problems)
    if creating and not (content or embeds or attachment_names or body.get("components")):
        raise Refused(["Cannot send an empty message"], EMPTY_MESSAGE)


def _embed_length(embed: Json) -> int:
    fields = embed.get("fields") or []
    parts = [
        embed.get("title"), embed.get("description"),
        (embed.get("footer") or {}).get("text"), (embed.get("author") or {}).get("name"),
        *(f.get("name") for f in fields), *(f.get("value") for f in fields),
    ]
    return sum(len(part) for part in parts if isinstance(part, str))


def _embed_problems(embed: Json, attachment_names: Collection[str]) -> list[str]:
    problems = []
    description = embed.get("description") or ""
    if len(description) > MAX_DESCRIPTION:
        problems.append(f"description: {len(description)} characters, at most {MAX_DESCRIPTION}")
    if len(embed.get("title") or "") > MAX_TITLE:
        problems.append(f"title: more than {MAX_TITLE} characters")
    if len(embed.get("fields") or []) > MAX_FIELDS:
        problems.append(f"fields: more than {MAX_FIELDS}")
    if len((embed.get("footer") or {}).get("text") or "") > MAX_FOOTER:
        problems.append(f"footer.text: more than {MAX_FOOTER} characters")
    for part in ("image", "thumbnail"):
        url = (embed.get(part) or {}).get("url") or ""
        if url.startswith(ATTACHMENT_SCHEME):
            name = url.removeprefix(ATTACHMENT_SCHEME)
            if name not in attachment_names:
                problems.append(f"{part}.url: no attachment named {name!r}")
        elif url and not url.startswith(("http://", "https://")):
            problems.append(f"{part}.url: not a valid URL")
    if not any(embed.get(k) for k in ("title", "description", "image", "thumbnail", "fields",
                                      "footer", "author")):
        problems.append("empty embed (Discord would show an empty box)")
    return problems


def check_thread_name(name: object) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_THREAD_NAME:
        raise Refused([f"name: a thread name needs 1-{MAX_THREAD_NAME} characters"])
