"""Neutral values exchanged between adapters and the core.

An adapter turns a platform event into an :class:`Invocation` or a :class:`ButtonPress`
and hands it to the dispatcher together with a :class:`Responder`; the core answers
with :class:`Reply` values through that responder. Nothing here knows a platform.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

from bot.media import AttachmentKind as AttachmentKind  # re-exported: the neutral values use it
from bot.store.events import EventReads
from bot.store.records import JsonValue

ButtonStyle = Literal["primary", "secondary", "success", "danger"]

# Telegram's callback_data limit is the tightest of all platforms.
MAX_BUTTON_KEY_BYTES: Final = 64


class DeliveryError(Exception):
    """An adapter could not deliver a message (the platform refused or was unreachable).

    Adapters translate their platform's exceptions into this one so the core can react
    without importing a platform library.
    """


class AttachmentTooLargeError(Exception):
    """An attachment is bigger than the caller allowed."""

    def __init__(self, filename: str, size: int, limit: int) -> None:
        super().__init__(f"{filename}: {size} bytes > {limit}")
        self.filename = filename
        self.size = size
        self.limit = limit


@dataclass(frozen=True, slots=True)
class UserRef:
    id: str
    name: str
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where a conversation happens.

    ``thread_id`` is a Discord thread or Telegram topic, ``""`` when there is none (the
    store's convention); memory, model and persona are kept per (platform, chat, thread).
    """

    platform: str
    chat_id: str
    thread_id: str = ""
    is_private: bool = True
    # The group a channel belongs to where the platform has one (a Discord guild id);
    # ``[access] chats`` may name it instead of each channel.
    community_id: str = ""


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the bot sent; enough for the adapter to edit it later (also after a restart)."""

    chat_id: str
    message_id: str


AttachmentReader = Callable[[int], Awaitable[bytes]]
"""Reads an attachment's bytes; raises :class:`AttachmentTooLargeError` beyond the cap."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the user sent. The bytes are fetched only when a command needs them."""

    kind: AttachmentKind
    filename: str
    content_type: str
    size: int | None
    reader: AttachmentReader = field(repr=False, compare=False)
    url: str | None = None  # a public URL, when the platform gives one (Discord CDN)

    async def read(self, max_bytes: int) -> bytes:
        if self.size is not None and self.size > max_bytes:
            raise AttachmentTooLargeError(self.filename, self.size, max_bytes)
        data = await self.reader(max_bytes)
        if len(data) > max_bytes:
            raise AttachmentTooLargeError(self.filename, len(data), max_bytes)
        return data


OptionValue = str | int | float | bool | Attachment


@dataclass(frozen=True, slots=True)
class Preferences:
    """The user's stored choices as read once for one event: their user settings and the
    language resolved from them (see :mod:`bot.core.language`). Carried along the event so
    the adapter, the dispatcher and the handler do not each read the store again; never kept
    across events, since another process sharing the store may change them.

    ``reads``: everything the core reads before handling the event, fetched in the same trip
    as the settings (the pending question, the access rules, the allowance; see
    :mod:`bot.core.prefetch`); None when they were not read (a store failure), and then the
    question check and the gate read what they need themselves."""

    locale: str
    user_settings: Mapping[str, JsonValue] = field(default_factory=dict)
    reads: EventReads | None = None


@dataclass(frozen=True, slots=True)
class Invocation:
    """A user's message or command.

    ``command`` is None for a plain message; the dispatcher parses ``/cmd args`` out of
    ``text`` when the platform delivers commands as text (console, Telegram). Platforms
    with structured commands (Discord) fill ``command`` and ``options`` directly; a text
    platform may put options it read itself (the console's ``image=file:PATH``) in
    ``options``, which win over the same names parsed from ``text``.
    """

    user: UserRef
    chat: ChatRef
    command: str | None = None
    options: Mapping[str, OptionValue] = field(default_factory=dict)
    subcommand: str | None = None  # structured platforms: the chosen subcommand (/admin grant)
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    mentioned: bool = False
    replied_to_bot: bool = False
    message: MessageRef | None = None
    roles: tuple[str, ...] = ()  # the author's role ids where the platform has roles (Discord)
    # Read by the adapter for its own texts; None: the dispatcher reads them.
    preferences: Preferences | None = None

    @property
    def addressed_to_bot(self) -> bool:
        return self.chat.is_private or self.mentioned or self.replied_to_bot


@dataclass(frozen=True, slots=True)
class Question:
    """A question for one user (``BaseContext.ask``), as a responder shows it.

    ``token`` identifies this question: a platform that answers through a form of its own
    (a Discord modal) carries it back in :attr:`TypedAnswer.token`, so a form left open
    from an older question cannot answer a newer one."""

    prompt: str
    prefill: str
    token: str


@dataclass(frozen=True, slots=True)
class TypedAnswer:
    """Text that may answer the question pending for ``user`` in ``chat``.

    The adapter says how it relates to the question: ``replied_to`` is the message it
    replies to (it answers when that is the message that asked); ``anywhere`` means any
    message of the asker here answers (a private chat, a Discord channel, the console);
    ``token`` comes from a platform form that carries :attr:`Question.token`. Text
    starting with ``/`` cancels the question (``/cancel`` is swallowed, any other command
    then runs as usual)."""

    user: UserRef
    chat: ChatRef
    text: str
    replied_to: str | None = None
    anywhere: bool = False
    token: str | None = None
    message: MessageRef | None = None
    roles: tuple[str, ...] = ()  # the author's role ids (Discord)
    preferences: Preferences | None = None  # as on Invocation


@dataclass(frozen=True, slots=True)
class ButtonPress:
    user: UserRef
    chat: ChatRef
    key: str
    message: MessageRef
    roles: tuple[str, ...] = ()  # the presser's role ids (Discord)
    preferences: Preferences | None = None  # as on Invocation


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a message. ``key`` is opaque to adapters and at most 64 bytes.

    ``names`` say what the button does in words (``reroll``/``重新生成`` for 🔄), for
    platforms where a user types which button to press (the console's ``!press``)."""

    label: str
    key: str
    style: ButtonStyle = "secondary"
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        size = len(self.key.encode())
        if not 1 <= size <= MAX_BUTTON_KEY_BYTES:
            raise ValueError(f"button key must be 1-{MAX_BUTTON_KEY_BYTES} bytes: {self.key!r}")


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """A file to upload. The metadata after ``caption`` describes audio for players.

    ``title``/``performer``/``duration_s`` show in music players (Telegram's audio
    message, the console); platforms without such fields ignore them. ``thumbnail`` is a
    cover image that already meets Telegram's rule for thumbnails — JPEG, at most
    320x320 pixels and 200 kB — or None; producers check that, adapters send it as is.
    """

    data: bytes = field(repr=False)
    filename: str
    kind: AttachmentKind
    content_type: str
    caption: str = ""
    title: str = ""
    performer: str = ""
    duration_s: float | None = None
    thumbnail: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Reply:
    """What a message should look like. An edit replaces text and buttons entirely.

    ``ephemeral`` marks a notice meant only for the user who caused it (an error, a
    refused button): Discord shows it to that user alone, Telegram as a toast on a
    button press; platforms without either post it normally.
    """

    text: str = ""
    files: tuple[OutgoingFile, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    reply_to: MessageRef | None = None
    ephemeral: bool = False


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    max_text: int
    max_caption: int
    max_buttons_per_row: int
    max_rows: int
    max_upload_bytes: int
    edit_interval_s: float = 1.0
    voice_messages: bool = False  # whether OGG/Opus voice bubbles exist (Telegram)
    # Whether a reply shows the message it answers and takes the user there when tapped
    # (Telegram, Discord): where an earlier message has no link, a reply can point at it.
    replies_lead_to_original: bool = False
    # How the platform measures max_text / max_caption (Telegram: UTF-16 units).
    text_length: Callable[[str], int] = len


class Responder(Protocol):
    """How the core answers one invocation or button press.

    Adapters enforce their platform's limits on what they receive, but the core already
    splits text with :mod:`bot.core.render` using :attr:`limits`.
    """

    @property
    def limits(self) -> PlatformLimits: ...

    async def send(self, reply: Reply) -> MessageRef:
        """Post a new message; raise :class:`DeliveryError` when the platform refuses."""
        ...

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef | None:
        """Replace a message's text/buttons; raise :class:`DeliveryError` on failure.

        None: the message was edited in place. A :class:`MessageRef`: the platform could
        not edit it that way (Telegram cannot turn a text message into a photo), so it
        posted a new message and removed the old one; callers that keep the reference
        (a job's status message) must use the new one from now on.
        """
        ...

    async def ask(self, question: Question) -> str | None:
        """Show ``question`` to the user this responder answers, and return at once.

        Returns the id of the message that asks (a reply to it answers), ``""`` when the
        platform asks some other way (a Discord modal, whose submit carries the token),
        or None when there is nobody to ask here. The answer comes later as a
        :class:`TypedAnswer`, possibly to another process after a restart."""
        ...

    def typing(self) -> AbstractAsyncContextManager[None]:
        """Show "typing…" (or similar) while the block runs."""
        ...

    def link_to(self, ref: MessageRef) -> str | None:
        """A URL that opens message ``ref`` for the user this responder answers, fit to
        put in a private notice (``Reply.ephemeral``) it sends; None when the platform has
        no such link for that message (a Telegram private chat or basic group, the console)
        or this responder's private notices cannot carry one (a Telegram toast)."""
        ...
