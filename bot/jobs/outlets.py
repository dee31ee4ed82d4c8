"""How the tracker reaches a chat outside any invocation, and how message refs are stored.

Adapters implement :class:`ChatOutlet`; the tracker gets one per platform, keyed by
``ChatRef.platform`` (:func:`job_responder` picks a job's). A job's status message is
stored as a string made by :func:`encode_message_ref` so it survives restarts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Protocol

from bot.core.models import ChatRef, MessageRef, Responder
from bot.jobs.records import job_chat
from bot.store.base import Job


class ChatOutlet(Protocol):
    def responder_for(self, chat: ChatRef) -> Responder:
        """A responder that can send to and edit messages in ``chat`` at any time."""
        ...


def job_responder(outlets: Mapping[str, ChatOutlet], job: Job) -> Responder | None:
    """A responder for the job's chat, or None when its platform is not run here."""
    outlet = outlets.get(job.platform)
    return outlet.responder_for(job_chat(job)) if outlet is not None else None


def encode_message_ref(ref: MessageRef) -> str:
    return json.dumps([ref.chat_id, ref.message_id], separators=(",", ":"))


def decode_message_ref(text: str | None) -> MessageRef | None:
    """The stored reference, or None when absent or unreadable (then a new message is sent)."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return MessageRef(value[0], value[1])
    return None
