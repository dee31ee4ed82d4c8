"""The one place where failures become words for the user.

Every :mod:`bot.relay.errors` class, every media error and a :class:`UserError` map to a
short catalogue text saying what happened and, where possible, what to do. The table is
ordered most specific first; anything not in it is a bug, logged by the dispatcher and
answered with ``generic.error``. Relay messages are quoted only where they help (a bad
request's reason, a failed task's reason), trimmed, reduced to the upstream's own
sentence (:func:`bot.relay.upstream_text.clean_message`: no gateway prefixes, Python
reprs or request ids) and with secrets redacted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from bot.core.errors import Localised, UserError
from bot.core.models import AttachmentTooLargeError
from bot.core.render import format_size
from bot.core.texts import has_text, or_list, t
from bot.log import Redactor
from bot.media import MediaDownloadError, MediaTooLargeError, MediaTypeError
from bot.relay import errors as relay
from bot.relay.upstream_text import clean_message

_MAX_DETAIL: Final = 200
# A Retry-After beyond a day (or inf from "1e400") is no useful advice, and inf cannot be
# rounded: say "try again later" instead.
_MAX_RETRY_AFTER_S: Final = 86_400.0

Redact = Callable[[str], str]
# (failure, locale, redact): quoted text is redacted before it is trimmed, so a secret
# cut by the trim cannot show its first characters.
Describe = Callable[[BaseException, str, Redact], str]
# Without the configured secrets, credential-shaped strings are still hidden.
_SHAPES_ONLY: Final = Redactor()


def _detail(text: str, locale: str, redact: Redact) -> str:
    cleaned = redact(clean_message(text)) or t("jobs.no_reason", locale)
    return cleaned if len(cleaned) <= _MAX_DETAIL else cleaned[: _MAX_DETAIL - 1] + "…"


def _rate_limited(exc: BaseException, locale: str, redact: Redact) -> str:
    retry_after = exc.retry_after if isinstance(exc, relay.RateLimitedError) else None
    if retry_after is None or not 0 < retry_after < _MAX_RETRY_AFTER_S:
        return t("error.rate_limited", locale)
    return t("error.rate_limited_retry", locale, seconds=math.ceil(retry_after))


def _banned(exc: BaseException, locale: str, redact: Redact) -> str:
    word = exc.banned_word if isinstance(exc, relay.BannedPromptError) else None
    if word is None:
        return t("error.banned_prompt_unknown", locale)
    return t("error.banned_prompt", locale, word=word)


def _task_failed(exc: BaseException, locale: str, redact: Redact) -> str:
    reason = exc.reason if isinstance(exc, relay.TaskFailedError) else ""
    if not reason.strip():
        return t("error.task_failed_unknown", locale)
    return t("error.task_failed", locale, reason=_detail(reason, locale, redact))


def _status(key: str) -> Describe:
    def describe(exc: BaseException, locale: str, redact: Redact) -> str:
        status = exc.status if isinstance(exc, relay.RelayStatusError) else "?"
        return t(key, locale, status=status)

    return describe


def _with_detail(key: str) -> Describe:
    def describe(exc: BaseException, locale: str, redact: Redact) -> str:
        return t(key, locale, detail=_detail(str(exc), locale, redact))

    return describe


def _feature_missing(exc: BaseException, locale: str, redact: Redact) -> str:
    assert isinstance(exc, relay.FeatureMissingError)
    return t("error.feature_missing", locale, feature=t(f"feature.{exc.feature}", locale))


def _plain(key: str) -> Describe:
    return lambda exc, locale, redact: t(key, locale)


def _user(exc: BaseException, locale: str, redact: Redact) -> str:
    assert isinstance(exc, UserError)
    fmt = {
        name: value.render(locale)
        if isinstance(value, Localised)
        else value
        for name, value in exc.fmt.items()
    }
    return t(exc.key, locale, **fmt)


def _too_large(exc: BaseException, locale: str, redact: Redact) -> str:
    if isinstance(exc, AttachmentTooLargeError):
        size, limit = format_size(exc.size), format_size(exc.limit)
        return t("input.attachment_too_large", locale, filename=exc.filename, size=size,
                 limit=limit)
    assert isinstance(exc, MediaTooLargeError)
    return t("error.media_too_large", locale, size=format_size(exc.size),
             limit=format_size(exc.limit))


def _media_type(exc: BaseException, locale: str, redact: Redact) -> str:
    assert isinstance(exc, MediaTypeError)
    kinds = [t(f"kind.{kind}", locale) if has_text(f"kind.{kind}") else kind
             for kind in exc.allowed]
    allowed = or_list(kinds, locale)
    if exc.unrecognised:
        return t("error.media_unrecognised", locale, got=exc.got, allowed=allowed)
    return t("error.media_type", locale, got=exc.got, allowed=allowed)


def _response_too_large(exc: BaseException, locale: str, redact: Redact) -> str:
    assert isinstance(exc, relay.ResponseTooLargeError)
    return t("error.response_too_large", locale, limit=format_size(exc.limit))


def _media_download(exc: BaseException, locale: str, redact: Redact) -> str:
    assert isinstance(exc, MediaDownloadError)
    reason = t(f"media.failed.{exc.code}", locale) if exc.code else exc.reason
    return t("error.media_download", locale, reason=reason)


# Most specific first: the first isinstance match wins.
_TABLE: Final[tuple[tuple[type[BaseException], Describe], ...]] = (
    (UserError, _user),
    (AttachmentTooLargeError, _too_large),
    (MediaTooLargeError, _too_large),
    (MediaTypeError, _media_type),
    (MediaDownloadError, _media_download),
    (relay.ContentPolicyError, _plain("error.content_policy")),
    (relay.BadRequestError, _with_detail("error.bad_request")),
    (relay.QuotaExceededError, _plain("error.quota")),
    (relay.AuthError, _plain("error.auth")),
    (relay.PermissionDeniedError, _plain("error.permission")),
    (relay.FeatureMissingError, _feature_missing),
    (relay.NotFoundError, _plain("error.not_found")),
    (relay.RateLimitedError, _rate_limited),
    (relay.NoChannelError, _plain("error.no_channel")),
    (relay.ServerError, _status("error.server")),
    (relay.RelayStatusError, _status("error.status")),
    (relay.RelayConnectionError, _plain("error.connection")),
    (relay.RelayTimeoutError, _plain("error.timeout")),
    (relay.ResponseTooLargeError, _response_too_large),
    (relay.RelayDecodeError, _plain("error.decode")),
    (relay.BannedPromptError, _banned),
    (relay.QueueFullError, _plain("error.queue_full")),
    (relay.UnknownActionError, _plain("error.unknown_action")),
    (relay.RejectedError, _with_detail("error.rejected")),
    (relay.TaskFailedError, _task_failed),
    (relay.RelayError, _with_detail("error.relay")),
)


def describe_failure(
    exc: BaseException, locale: str = "en", *, redact: Redact = _SHAPES_ONLY
) -> str | None:
    """The user-facing text for an expected failure; None for a bug (log it, say sorry).

    Relay, platform and exception texts may echo a key, a token or a signed file URL:
    every text passes ``redact`` (the configured secrets: ``Services.redact``)."""
    for cls, describe in _TABLE:
        if isinstance(exc, cls):
            return redact(describe(exc, locale, redact))
    return None
