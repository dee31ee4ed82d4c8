"""Pure conversions for the console: input lines to intents, replies to output events.

Input syntax (one line = one message from the single console user)::

    /command args            a command, parsed by the core like Telegram text
    plain text               chat
    ... file:PATH ...        attach a file (file:"a path with spaces" also works)
    !press LABEL             press, on the newest message that has one, the button whose
                             label contains LABEL as a whole word
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TypedDict

from bot.core.models import Button, OutgoingFile, Reply

_FILE_TOKEN_RE: Final = re.compile(r'(?:(?<=\s)|^)file:(?:"(?P<quoted>[^"]+)"|(?P<bare>\S+))')
_PRESS_RE: Final = re.compile(r"^!press\s+(?P<label>.+?)\s*$")
_UNSAFE_NAME_RE: Final = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class MessageInput:
    text: str
    file_paths: tuple[str, ...] = ()


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


def parse_line(line: str) -> ConsoleInput | None:
    """What the user meant by ``line``; None for a blank line."""
    stripped = line.strip()
    if not stripped:
        return None
    press = _PRESS_RE.match(stripped)
    if press is not None:
        return PressInput(press["label"])
    paths: list[str] = []

    def take(match: re.Match[str]) -> str:
        paths.append(match["quoted"] or match["bare"])
        return ""

    text = _FILE_TOKEN_RE.sub(take, stripped)
    return MessageInput(re.sub(r"[ \t]{2,}", " ", text).strip(), tuple(paths))


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

    On that message a label equal to ``wanted`` wins over one merely containing it.
    """
    for message_id, rows in reversed(messages):
        buttons = [button for row in rows for button in row]
        exact = [b for b in buttons if b.label.strip().casefold() == wanted.strip().casefold()]
        matching = exact or [b for b in buttons if label_matches(b.label, wanted)]
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


def file_details(file: OutgoingFile) -> str:
    """What a music player would show of a file: ``"Title" by Performer, 1:07, cover``."""
    parts: list[str] = []
    if file.title.strip():
        by = f" by {file.performer.strip()}" if file.performer.strip() else ""
        parts.append(f'"{file.title.strip()}"{by}')
    if file.duration_s is not None and file.duration_s >= 0:
        whole = round(file.duration_s)
        parts.append(f"{whole // 60}:{whole % 60:02d}")
    if file.thumbnail is not None:
        parts.append("with cover thumbnail")
    return ", ".join(parts)


def human_text(event: OutputEvent, details: Sequence[str] = ()) -> str:
    """The same event for people reading a terminal; ``details`` per attachment (the
    ``--jsonl`` events keep exactly the keys of :class:`OutputEvent`)."""
    edited = " (edited)" if event["event"] == "edit" else ""
    lines = [f"[{event['message_id']}{edited}] {event['text']}".rstrip()]
    for index, attachment in enumerate(event["attachments"]):
        about = details[index] if index < len(details) else ""
        suffix = f" — {about}" if about else ""
        lines.append(f"  📎 {attachment['kind']}: {attachment['path']}{suffix}")
    for row in event["buttons"]:
        lines.append("  " + " ".join(f"[{label}]" for label in row))
    return "\n".join(lines) + "\n"
