"""Errors raised by the relay client.

Every failure of a relay call is one of these; nothing else escapes ``bot.relay``
(aiohttp and JSON errors are wrapped). The dispatcher maps each class to one
user-facing message, so the tree is shaped by what a user can do about it::

    RelayError
    ├── RelayConnectionError        could not connect, or the connection dropped
    ├── RelayTimeoutError           no answer (or no stream chunk) within relay.timeout_s
    ├── RelayDecodeError            the body was not the JSON / SSE we expected
    │   └── ResponseTooLargeError   the body passed relay.max_response_mb: not read further
    ├── RelayStatusError            an HTTP error status with an error envelope
    │   ├── BadRequestError         400 / 413 / 422
    │   │   └── ContentPolicyError  the prompt was refused by a content filter
    │   ├── AuthError               401: key missing, invalid or expired
    │   │   └── QuotaExceededError  401/403 with a quota message: the balance is used up
    │   ├── PermissionDeniedError   403: key may not use that model / route
    │   ├── NotFoundError           404 (also the relay's task_no_found)
    │   │   └── FeatureMissingError 404 for a whole feature's route: the relay lacks it
    │   ├── RateLimitedError        429, with ``retry_after`` seconds when known
    │   └── ServerError             5xx
    │       └── NoChannelError      503 model_not_found: no upstream serves the model
    ├── RejectedError               a Midjourney / Suno / Luma submit answered "not accepted"
    │   ├── BannedPromptError       Midjourney code 24, with the banned word
    │   ├── QueueFullError          Midjourney code 23: try again later
    │   └── UnknownActionError      the relay does not support that button (unknown_action)
    └── TaskFailedError             a long job ended in FAILURE / error, with its reason

``QuotaExceededError`` sits under ``AuthError`` for 401 bodies and is raised for 403
quota bodies too: both mean "the operator must top up", which is what the user hears.
"""

from __future__ import annotations

# A relay may put a whole page (up to relay.max_response_mb) into an error's message; the
# message goes into log lines, stored job errors and replies, so it is cut here, once.
MESSAGE_CHARS = 1000


def _bounded(message: str) -> str:
    if len(message) <= MESSAGE_CHARS:
        return message
    return f"{message[:MESSAGE_CHARS]}… ({len(message) - MESSAGE_CHARS} more characters)"


class RelayError(Exception):
    """Base of every relay failure. ``message`` is at most ``MESSAGE_CHARS`` characters."""

    def __init__(self, message: str) -> None:
        message = _bounded(message)
        super().__init__(message)
        self.message = message


class RelayConnectionError(RelayError):
    """The relay could not be reached, or the connection broke mid-answer.

    ``sent`` is False when the failure happened before the request was written, which is
    the only case in which a paid submit may safely be tried again.
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class RelayTimeoutError(RelayError):
    """No answer within the configured timeout."""


class RelayDecodeError(RelayError):
    """The relay answered with something that is not the expected JSON or SSE."""

    def __init__(self, message: str, *, body_excerpt: str = "") -> None:
        super().__init__(message)
        self.body_excerpt = body_excerpt


class ResponseTooLargeError(RelayDecodeError):
    """The relay's body passed the configured cap (``limit`` bytes); the rest was not read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the relay's answer is over the {limit} byte limit")
        self.limit = limit


class RelayStatusError(RelayError):
    """An HTTP error status. ``code`` / ``error_type`` come from the error envelope."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.error_type = error_type


class BadRequestError(RelayStatusError):
    pass


class ContentPolicyError(BadRequestError):
    pass


class AuthError(RelayStatusError):
    pass


class QuotaExceededError(AuthError):
    pass


class PermissionDeniedError(RelayStatusError):
    pass


class NotFoundError(RelayStatusError):
    pass


class FeatureMissingError(NotFoundError):
    """The relay does not serve a feature at all (a gateway answering 404 for /mj/...).

    ``feature`` is one of ``translate``, ``midjourney``, ``suno``, ``luma``."""

    def __init__(self, message: str, *, feature: str, status: int = 404,
                 code: str | None = None, error_type: str | None = None) -> None:
        super().__init__(message, status=status, code=code, error_type=error_type)
        self.feature = feature


class RateLimitedError(RelayStatusError):
    def __init__(
        self,
        message: str,
        *,
        status: int = 429,
        code: str | None = None,
        error_type: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, error_type=error_type)
        self.retry_after = retry_after


class ServerError(RelayStatusError):
    pass


class NoChannelError(ServerError):
    pass


class RejectedError(RelayError):
    """A submit was answered but not accepted (Midjourney ``code`` other than 1/21/22...)."""

    def __init__(
        self,
        message: str,
        *,
        code: int | str | None = None,
        properties: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.properties = dict(properties or {})


class BannedPromptError(RejectedError):
    @property
    def banned_word(self) -> str | None:
        word = self.properties.get("bannedWord")
        return word if isinstance(word, str) and word else None


class QueueFullError(RejectedError):
    pass


class UnknownActionError(RejectedError):
    pass


class TaskFailedError(RelayError):
    """A long-running job finished unsuccessfully; ``reason`` is the relay's text."""

    def __init__(self, message: str, *, task_id: str, reason: str = "") -> None:
        super().__init__(message)
        self.task_id = task_id
        self.reason = reason
