"""The text catalogue and the one mapping from failures to user messages."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from bot.core.errors import AttachmentKinds, UserError
from bot.core.failures import describe_failure
from bot.core.models import AttachmentTooLargeError
from bot.core.texts import has_text, normalise_locale, t
from bot.media import MediaDownloadError, MediaTooLargeError, MediaTypeError
from bot.relay import errors

ROOT = Path(__file__).resolve().parents[2]
_KEY_USE_RE = re.compile(r"""(?:\bt|UserError|ctx\.t)\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def test_every_text_key_used_in_the_code_exists() -> None:
    used: set[str] = set()
    for folder in ("bot", "adapters"):
        for path in (ROOT / folder).rglob("*.py"):
            used.update(_KEY_USE_RE.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no keys; the pattern is broken"
    assert sorted(k for k in used if not has_text(k)) == []


def test_locales_fall_back_to_english() -> None:
    assert normalise_locale(None) == "en"
    assert t("reset.done", "pt-BR") == t("reset.done")
    with pytest.raises(KeyError):
        t("no.such.key")


RELAY_CASES = [
    (errors.AuthError("无效的令牌", status=401), "rejected this bot's API key"),
    (errors.QuotaExceededError("该令牌额度已用尽", status=401), "credit is used up"),
    (
        errors.PermissionDeniedError("该令牌无权使用模型：gpt-4", status=403),
        "may not use that model",
    ),
    (errors.ContentPolicyError("content_policy_violation", status=400), "content filter"),
    (
        errors.BadRequestError("bad max_tokens (request id: 2024)", status=400),
        "refused the request: bad max_tokens",
    ),
    (errors.NotFoundError("nope", status=404), "does not know that model"),
    (errors.FeatureMissingError("Not Found", feature="suno"), "does not offer Suno music"),
    (errors.RateLimitedError("busy", retry_after=2.2), "try again in 3 s"),
    (errors.RateLimitedError("busy"), "try again in a minute"),
    (errors.NoChannelError("无可用渠道", status=503), "No upstream currently serves this model"),
    (errors.ServerError("boom", status=502), "having problems (HTTP 502)"),
    (errors.RelayConnectionError("refused", sent=False), "could not reach the AI service"),
    (errors.RelayTimeoutError("slow"), "took too long"),
    (errors.RelayDecodeError("junk"), "could not read"),
    (errors.ResponseTooLargeError(16 * 2**20), "answer over 16 MB; I stopped reading it"),
    (
        errors.BannedPromptError("sensitive", code=24, properties={"bannedWord": "gore"}),
        "because of the word “gore”",
    ),
    (errors.BannedPromptError("sensitive", code=24), "refused the prompt as inappropriate"),
    (errors.QueueFullError("full", code=23), "queue is full"),
    (errors.UnknownActionError("unknown_action", code=4), "does not support this button"),
    (errors.RejectedError("无可用的账号实例", code=3), "did not accept the job: 无可用的账号实例"),
    (
        errors.TaskFailedError("failed", task_id="1", reason="[Invalid parameter] bad --ar"),
        "The job failed: [Invalid parameter] bad --ar",
    ),
]


@pytest.mark.parametrize(("error", "expected"), RELAY_CASES, ids=lambda v: type(v).__name__)
def test_each_relay_error_gets_its_specific_message(error: Exception, expected: str) -> None:
    message = describe_failure(error)
    assert message is not None and expected in message
    assert "request id" not in message


def test_every_relay_error_class_is_covered() -> None:
    classes = {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.RelayError)
    }
    tested = {type(error) for error, _ in RELAY_CASES}
    assert classes - tested <= {errors.RelayError, errors.RelayStatusError}


def test_media_and_user_errors() -> None:
    assert describe_failure(UserError("reset.done")) == t("reset.done")
    assert describe_failure(MediaTooLargeError(30 * 2**20, 20 * 2**20)) == (
        "The file is too large (30 MB); at most 20 MB is allowed."
    )
    assert describe_failure(MediaTypeError("text/html", ("image",))) == (
        "The file is text/html, but image was expected."
    )
    assert describe_failure(MediaTypeError("text/html", ("image", "video", "audio")), "zh") == (
        "文件类型是 text/html，但需要图片、视频或音频。"
    )
    assert "HTTP 404" in (describe_failure(MediaDownloadError("HTTP 404")) or "")
    message = describe_failure(AttachmentTooLargeError("a.ogg", 2048, 1024))
    assert message == "a.ogg is too large (2 KB); at most 1 KB is allowed."


def test_attachment_kinds_read_as_a_list_in_each_language() -> None:
    kinds = AttachmentKinds.of(("voice", "audio", "video"))
    assert kinds.render("en") == "voice, audio or video"
    assert kinds.render("zh") == "语音、音频或视频"
    assert AttachmentKinds.of(("image",)).render("zh") == "图片"


def test_bugs_are_not_described() -> None:
    assert describe_failure(KeyError("oops")) is None
