"""Pure conversions for the console: input lines to intents, replies to output events.

Input syntax (one line = one message from the single console user)::

    /command args            a command, parsed by the core like Telegram text
    plain text               chat
    ... file:PATH ...        attach a file (file:"a path with spaces" also works)
    ... image=file:PATH ...  attach a file to the command's option ``image``; for an
    ... image=PATH ...       option that takes files the ``file:`` may be left out
    !press LABEL             press, on the newest message that has one, the button whose
                             label (or name: ``reroll`` for 🔄) contains LABEL as a
                             whole word
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final, TypedDict

from bot.core.models import Button, OutgoingFile, Reply
from bot.core.texts import DEFAULT_LOCALE, t

_PATH: Final = r'(?:"(?P<quoted>[^"]+)"|(?P<bare>\S+))'
_FILE_TOKEN_RE: Final = re.compile(r"(?:(?<=\s)|^)file:" + _PATH)
_NAMED_FILE_RE: Final = re.compile(r"(?:(?<=\s)|^)(?P<name>[A-Za-z_]\w*)=file:" + _PATH)
_PRESS_RE: Final = re.compile(r"^!press\s+(?P<label>.+?)\s*$")
_UNSAFE_NAME_RE: Final = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class MessageInput:
    text: str
    file_paths: tuple[str, ...] = ()
    named_files: tuple[tuple[str, str], ...] = ()  # (option, path): image=file:cat.png


@dataclass(frozen=True, slots=True)
class PressInput:
    label: str


ConsoleInput = MessageInput | PressInput


class AttachmentEvent(TypedDict):
    kind: str
    path: str


class OutputEvent(TypedDict):
    event: str
    message_id: str
    text: str
    attachments: list[AttachmentEvent]
    buttons: list[list[str]]


def parse_line(line: str, file_options: Collection[str] = ()) -> ConsoleInput | None:
    """What the user meant by ``line``; None for a blank line.

    ``file_options`` are the names of the command's options that take a file: for them
    ``name=PATH`` means the file at PATH, as ``name=file:PATH`` does for any name."""
    stripped = line.strip()
    if not stripped:
        return None
    press = _PRESS_RE.match(stripped)
    if press is not None:
        return PressInput(press["label"])
    named: list[tuple[str, str]] = []
    paths: list[str] = []

    def take_named(match: re.Match[str]) -> str:
        named.append((match["name"], match["quoted"] or match["bare"]))
        return ""

    def take(match: re.Match[str]) -> str:
        paths.append(match["quoted"] or match["bare"])
        return ""

    text = _NAMED_FILE_RE.sub(take_named, stripped)
    if file_options:
        names = "|".join(map(re.escape, file_options))
        option_path = re.compile(r"(?:(?<=\s)|^)(?P<name>" + names + r")=" + _PATH)
        text = option_path.sub(take_named, text)
    text = _FILE_TOKEN_RE.sub(take, text)
    return MessageInput(re.sub(r"[ \t]{2,}", " ", text).strip(), tuple(paths), tuple(named))


def label_matches(label: str, wanted: str) -> bool:
    """Whether ``wanted`` occurs in ``label`` as a whole word.

    ``U1`` is not in ``U10``, and ``gpt-4o`` is not in ``gpt-4o-mini``: hyphens join words.
    """
    pattern = r"(?<![\w-])" + re.escape(wanted.strip()) + r"(?![\w-])"
    return re.search(pattern, label, re.IGNORECASE) is not None


def find_button(
    messages: Sequence[tuple[str, Sequence[Sequence[Button]]]], wanted: str
) -> tuple[str, Button] | None:
    """The matching button on the newest message that has one; ``messages`` oldest first.

    A button matches by its label or one of its names (``reroll`` for a 🔄 button); on
    that message a label or name equal to ``wanted`` wins over one merely containing it.
    """
    folded = wanted.strip().casefold()
    for message_id, rows in reversed(messages):
        buttons = [button for row in rows for button in row]
        exact = [b for b in buttons
                 if any(text.strip().casefold() == folded for text in (b.label, *b.names))]
        matching = exact or [
            b for b in buttons if any(label_matches(text, wanted) for text in (b.label, *b.names))
        ]
        if matching:
            return message_id, matching[0]
    return None


def media_filename(message_id: str, index: int, file: OutgoingFile) -> str:
    """A safe, unique file name for an attachment of a message."""
    name = _UNSAFE_NAME_RE.sub("_", file.filename).strip("._") or file.kind
    return f"{message_id}-{index}-{name[-80:]}"


def output_event(
    event: str, message_id: str, reply: Reply, saved: Sequence[tuple[str, str]]
) -> OutputEvent:
    """The ``--jsonl`` object for one send or edit; ``saved`` is (kind, path) per file."""
    return {
        "event": event,
        "message_id": message_id,
        "text": reply.text,
        "attachments": [{"kind": kind, "path": path} for kind, path in saved],
        "buttons": [[button.label for button in row] for row in reply.buttons],
    }


def file_details(file: OutgoingFile, locale: str = DEFAULT_LOCALE) -> str:
    """What a music player would show of a file, in the reader's language:
    ``"Title" by Performer, 1:07, with cover thumbnail``."""
    parts: list[str] = []
    title, performer = file.title.strip(), file.performer.strip()
    if title:
        key = "console.file_title_by" if performer else "console.file_title"
        parts.append(t(key, locale, title=title, performer=performer))
    if file.duration_s is not None and file.duration_s >= 0:
        whole = round(file.duration_s)
        parts.append(f"{whole // 60}:{whole % 60:02d}")
    if file.thumbnail is not None:
        parts.append(t("console.file_cover", locale))
    return t("console.file_sep", locale).join(parts)


def human_text(
    event: OutputEvent, details: Sequence[str] = (), locale: str = DEFAULT_LOCALE
) -> str:
    """The same event for people reading a terminal; ``details`` per attachment (the
    ``--jsonl`` events keep exactly the keys of :class:`OutputEvent`)."""
    edited = t("console.edited", locale) if event["event"] == "edit" else ""
    lines = [f"[{event['message_id']}{edited}] {event['text']}".rstrip()]
    for index, attachment in enumerate(event["attachments"]):
        about = details[index] if index < len(details) else ""
        suffix = f" — {about}" if about else ""
        kind = t(f"kind.{attachment['kind']}", locale)
        lines.append(f"  📎 {kind}: {attachment['path']}{suffix}")
    for row in event["buttons"]:
        lines.append("  " + " ".join(f"[{label}]" for label in row))
    return "\n".join(lines) + "\n"
