"""Turn the relay's three error envelopes into the error tree of ``errors.py``.

* A — OpenAI style ``{"error": {"message", "type", "code"?, "param"?}}`` (every route's
  auth / quota / channel failures, and all OpenAI-compatible routes);
* B — Midjourney: relay-side ``{"description", "type", "code": 4}`` at HTTP 400/429, and
  upstream ``{"code", "description", "properties", "result"}`` at HTTP 200 (submit codes);
* C — Suno / Luma wrapper ``{"code": 200 | "success", "message", "data"}``.

Classification looks at the message and code first (quota, content policy, no channel,
task not found, unknown action mean the same thing whatever the status) and falls back to
the HTTP status. Gateways (the LiteLLM proxy…) add three habits handled here: an error
envelope inside an HTTP 200 stream whose ``code`` is the real status (``"500"``), retry
hints in ``llm_provider-retry-after`` / ``x-ratelimit-reset-*`` headers, and a plain 404
for a whole feature they do not serve (:class:`~bot.relay.errors.FeatureMissingError`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.lenient import as_dict, as_str
from bot.relay import errors

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
# OpenAI's codes and sentences for a refused prompt; gateways rewrite the code ("400"), so
# the sentence must be enough.
CONTENT_POLICY_MARKERS = (
    "content_policy_violation",
    "rejected as a result of our safety system",
    "content management policy",  # Azure OpenAI
    "content_filter",
)
_EXCERPT_CHARS = 300


def excerpt(raw: bytes) -> str:
    return raw[:_EXCERPT_CHARS].decode("utf-8", "replace")


def decode_json(raw: bytes) -> object:
    """Parse a body, wrapping garbage or truncation in ``RelayDecodeError``."""
    try:
        return json.loads(raw)
    # Deep nesting ("[[[[…") makes Python's parser give up with RecursionError.
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
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


# Go-style durations, as OpenAI (and gateways passing its headers on) send them.
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: str | None) -> float | None:
    """``"1s"``, ``"6m0s"``, ``"20ms"``, ``"1h2m3.5s"`` (or plain seconds) as seconds."""
    if not value:
        return None
    text = value.strip().lower()
    try:
        seconds = float(text)
    except ValueError:
        parts = _DURATION_RE.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            return None
        seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    sane = math.isfinite(seconds) and 0 <= seconds <= _MAX_RETRY_AFTER_S
    return seconds if sane else None


def retry_hint(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait before trying again, from whichever header carries the hint.

    ``Retry-After`` first, then a gateway's ``llm_provider-retry-after`` (the upstream's
    own Retry-After, passed on), then OpenAI's ``x-ratelimit-reset-requests`` /
    ``-tokens``: the one whose ``x-ratelimit-remaining-*`` is 0, else the longer."""
    if not headers:
        return None
    lower = {key.lower(): value for key, value in headers.items()}
    for name in ("retry-after", "llm_provider-retry-after"):
        seconds = parse_retry_after(lower.get(name))
        if seconds is not None:
            return seconds
    resets = {
        kind: parse_duration(lower.get(f"x-ratelimit-reset-{kind}"))
        for kind in ("requests", "tokens")
    }
    exhausted = [
        seconds for kind, seconds in resets.items()
        if seconds is not None and lower.get(f"x-ratelimit-remaining-{kind}", "").strip() == "0"
    ]
    known = exhausted or [seconds for seconds in resets.values() if seconds is not None]
    return max(known) if known else None


def status_in_code(code: str | None) -> int | None:
    """An error envelope's ``code`` when it is an HTTP error status (``"500"``, 429)."""
    if code is None or not code.strip().isdigit():
        return None
    status = int(code)
    return status if 400 <= status <= 599 else None


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
    if _contains(hay, CONTENT_POLICY_MARKERS):
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
    status: int,
    raw: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    path: str | None = None,
) -> errors.RelayError:
    """Map a non-2xx answer (any envelope, or a non-JSON body) to the error tree.

    ``path`` (the request's) lets a bare 404 on a feature's route say the relay lacks the
    feature rather than "not found"."""
    retry_after = retry_hint(headers)
    try:
        body: object = json.loads(raw) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        body = None
    if body is None:
        message = excerpt(raw).strip()
        code, error_type = None, None
    else:
        message, code, error_type = _envelope_fields(body)
    error = classify(status, message, code=code, error_type=error_type, retry_after=retry_after)
    feature = feature_of(path) if path is not None and status == 404 else None
    if feature is not None and type(error) is errors.NotFoundError and _no_route(message):
        return errors.FeatureMissingError(
            error.message, feature=feature, status=status, code=code, error_type=error_type
        )
    return error


# Routes that belong to one optional feature: a 404 there (that is not about a task) means
# the relay does not offer the feature at all.
_FEATURE_ROUTES = (
    (re.compile(r"^/v1/audio/translations/?$"), "translate"),
    (re.compile(r"^/mj(?:-(?:fast|relax|turbo))?/"), "midjourney"),
    (re.compile(r"^/suno/"), "suno"),
    (re.compile(r"^/luma/"), "luma"),
)


# How servers say "no such route": FastAPI (LiteLLM) {"detail":"Not Found"}, Go's mux,
# new-api's "Invalid URL (POST /mj/submit/imagine)", Express, nginx's HTML page.
_NO_ROUTE_RE = re.compile(
    r"^(?:|not found|404(?: page)? not found|invalid url\b.*|no route\b.*|"
    r"cannot (?:get|post) .*|<.*404.*)$",
    re.IGNORECASE | re.DOTALL,
)


def _no_route(message: str) -> bool:
    """Whether a 404's message is about the route, not about a task or model."""
    return _NO_ROUTE_RE.match(message.strip()) is not None


def feature_of(path: str) -> str | None:
    """The optional feature a relay route belongs to (``midjourney`` for ``/mj/…``)."""
    return next((feature for route, feature in _FEATURE_ROUTES if route.search(path)), None)


def error_in_body(body: object) -> errors.RelayError | None:
    """An envelope-A error delivered with HTTP 200 (some relays do), else None."""
    data = as_dict(body)
    if "error" not in data or data.get("error") in (None, "", {}):
        return None
    message, code, error_type = _envelope_fields(body)
    # Gateways put the real status in the code of an error sent with HTTP 200 (in a stream).
    status = status_in_code(code) or 200
    return classify(status, message, code=code, error_type=error_type)


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
