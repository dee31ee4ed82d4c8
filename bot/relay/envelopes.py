"""Turn the relay's three error envelopes into the error tree of ``errors.py``.

* A — OpenAI style ``{"error": {"message", "type", "code"?, "param"?}}`` (every route's
  auth / quota / channel failures, and all OpenAI-compatible routes);
* B — Midjourney: relay-side ``{"description", "type", "code": 4}`` at HTTP 400/429, and
  upstream ``{"code", "description", "properties", "result"}`` at HTTP 200 (submit codes);
* C — Suno / Luma wrapper ``{"code": 200 | "success", "message", "data"}``.

Classification looks at the message and code first (quota, content policy, no channel,
task not found, unknown action mean the same thing whatever the status) and falls back to
the HTTP status.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.relay import errors
from bot.relay._lenient import as_dict, as_str

QUOTA_MARKERS = (
    "该令牌额度已用尽",
    "insufficient_user_quota",
    "令牌额度不足",
    "用户额度不足",
    "quota_not_enough",
    "user quota is not enough",
    "insufficient_quota",
)
NOT_FOUND_MARKERS = ("task_no_found", "midjourney_task_not_found", "task_not_found")
NO_CHANNEL_MARKERS = ("model_not_found", "无可用渠道")
_EXCERPT_CHARS = 300


def excerpt(raw: bytes) -> str:
    return raw[:_EXCERPT_CHARS].decode("utf-8", "replace")


def decode_json(raw: bytes) -> object:
    """Parse a body, wrapping garbage or truncation in ``RelayDecodeError``."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.RelayDecodeError(
            f"relay answered with invalid JSON: {exc}", body_excerpt=excerpt(raw)
        ) from None


_MAX_RETRY_AFTER_S = 7 * 24 * 3600.0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent/garbled."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # "inf", "nan" and absurd values are garbled, not a reason to wait forever.
        sane = math.isfinite(seconds) and seconds <= _MAX_RETRY_AFTER_S
        return max(0.0, seconds) if sane else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _envelope_fields(body: object) -> tuple[str, str | None, str | None]:
    """(message, code, type) from whichever envelope ``body`` is."""
    data = as_dict(body)
    error = data.get("error")
    if isinstance(error, dict):
        inner = as_dict(error)
        message = as_str(inner.get("message"))
        code = as_str(inner.get("code")) or None
        return message, code, as_str(inner.get("type")) or None
    if isinstance(error, str) and error:
        return error, as_str(data.get("code")) or None, None
    message = (
        as_str(data.get("description"))
        or as_str(data.get("message"))
        or as_str(data.get("msg"))
        or as_str(data.get("detail"))
    )
    return message.strip(), as_str(data.get("code")) or None, as_str(data.get("type")) or None


def _contains(haystacks: tuple[str, ...], markers: tuple[str, ...]) -> bool:
    return any(marker.lower() in hay.lower() for hay in haystacks if hay for marker in markers)


def classify(
    status: int,
    message: str,
    *,
    code: str | None = None,
    error_type: str | None = None,
    retry_after: float | None = None,
    properties: Mapping[str, object] | None = None,
) -> errors.RelayError:
    """The error for one failed answer (HTTP status plus envelope fields)."""
    text = message or f"relay answered HTTP {status}"
    if "unknown_action" in message:
        return errors.UnknownActionError(text, code=code, properties=dict(properties or {}))
    cls = _status_class(status, (message, code or ""))
    if cls is errors.RateLimitedError:
        return errors.RateLimitedError(
            text, status=status, code=code, error_type=error_type, retry_after=retry_after
        )
    return cls(text, status=status, code=code, error_type=error_type)


def _status_class(status: int, hay: tuple[str, ...]) -> type[errors.RelayStatusError]:
    # Meaning carried by the message or code wins over the HTTP status.
    if _contains(hay, QUOTA_MARKERS):
        return errors.QuotaExceededError
    if _contains(hay, ("content_policy_violation",)):
        return errors.ContentPolicyError
    if _contains(hay, NOT_FOUND_MARKERS):
        return errors.NotFoundError
    if status == 429 or hay[1] in ("rate_limit_exceeded", "30"):
        return errors.RateLimitedError
    if (status >= 500 or status == 200) and _contains(hay, NO_CHANNEL_MARKERS):
        return errors.NoChannelError
    by_status: dict[int, type[errors.RelayStatusError]] = {
        400: errors.BadRequestError,
        413: errors.BadRequestError,
        422: errors.BadRequestError,
        401: errors.AuthError,
        403: errors.PermissionDeniedError,
        404: errors.NotFoundError,
    }
    if status in by_status:
        return by_status[status]
    return errors.ServerError if status >= 500 else errors.RelayStatusError


def error_from_response(
    status: int, raw: bytes, headers: Mapping[str, str] | None = None
) -> errors.RelayError:
    """Map a non-2xx answer (any envelope, or a non-JSON body) to the error tree."""
    retry_after = parse_retry_after((headers or {}).get("Retry-After"))
    try:
        body: object = json.loads(raw) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if body is None:
        message = excerpt(raw).strip()
        return classify(status, message, retry_after=retry_after)
    message, code, error_type = _envelope_fields(body)
    return classify(status, message, code=code, error_type=error_type, retry_after=retry_after)


def error_in_body(body: object) -> errors.RelayError | None:
    """An envelope-A error delivered with HTTP 200 (some relays do), else None."""
    data = as_dict(body)
    if "error" not in data or data.get("error") in (None, "", {}):
        return None
    message, code, error_type = _envelope_fields(body)
    return classify(200, message, code=code, error_type=error_type)


def unwrap_wrapper(body: object) -> object:
    """Envelope C: return ``data`` of ``{"code": 200|"success", "data": ...}``; raise otherwise.

    Bodies without the wrapper are returned unchanged, so callers can accept both.
    """
    data = as_dict(body)
    if not data or "code" not in data or not ("data" in data or "message" in data):
        if (error := error_in_body(body)) is not None:
            raise error
        return body
    code = data.get("code")
    if code in (200, "200", 0, "0", "success", "SUCCESS"):
        return data.get("data")
    message, code_text, error_type = _envelope_fields(body)
    status = code if isinstance(code, int) and 400 <= code <= 599 else None
    if status is not None:
        raise classify(status, message, code=code_text, error_type=error_type)
    if _contains((message, code_text or ""), QUOTA_MARKERS):
        raise classify(200, message, code=code_text)
    text = message or f"relay refused the request (code {code})"
    raise errors.RejectedError(text, code=code_text)
