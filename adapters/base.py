"""What every adapter implements and relies on.

The neutral values (Invocation, Reply, Responder, PlatformLimits...) are defined in
:mod:`bot.core.models` so the core never imports from ``adapters``; they are re-exported
here for adapter code. An adapter converts platform events into invocations and button
presses for a :class:`CoreHandler`, and a :class:`~bot.core.models.Reply` into platform
calls, raising :class:`~bot.core.models.DeliveryError` when the platform refuses.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.errors import StartupError
from bot.core.models import (
    Attachment,
    AttachmentKind,
    Button,
    ButtonPress,
    ChatRef,
    DeliveryError,
    Invocation,
    MessageRef,
    OutgoingFile,
    PlatformLimits,
    Reply,
    Responder,
    UserRef,
)

__all__ = [
    "Adapter",
    "Attachment",
    "AttachmentKind",
    "Button",
    "ButtonPress",
    "ChatRef",
    "CoreHandler",
    "DeliveryError",
    "Invocation",
    "MessageRef",
    "OutgoingFile",
    "PlatformLimits",
    "PlatformStartError",
    "Reply",
    "Responder",
    "UserRef",
]


class PlatformStartError(StartupError):
    """An adapter could not connect (bad token, platform unreachable...).

    Its message is shown to the operator as is: say what to check, never the token.
    """


class CoreHandler(Protocol):
    """The core as adapters see it (implemented by ``bot.core.dispatcher.Dispatcher``).

    ``handle`` and ``press`` answer through the responder and never raise, except on
    cancellation. ``locale_for`` is the language the core answers that user in (their
    /settings choice, the chat's, their platform locale, the default): adapters use it for
    their own texts so a user reads one language.
    """

    async def locale_for(self, user: UserRef, chat: ChatRef) -> str: ...

    async def handle(self, invocation: Invocation, responder: Responder) -> None: ...

    async def press(self, press: ButtonPress, responder: Responder) -> None: ...


class Adapter(Protocol):
    """A running platform connection, started and stopped by the composition root."""

    name: str

    async def start(self) -> None:
        """Connect and begin delivering events to the core; return once running."""

    async def stop(self) -> None:
        """Stop receiving events and release the platform connection."""

    def responder_for(self, chat: ChatRef) -> Responder:
        """A responder for ``chat`` outside any event: the job tracker posts progress and
        results through it, also after a restart."""
        ...
