"""Every documented sample parses into the typed result a command would show."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from bot.relay import errors
from bot.relay.audio import parse_transcript
from bot.relay.chat import extract_images, parse_chat_result
from bot.relay.embeddings import parse_embeddings
from bot.relay.envelopes import decode_json, error_from_response, parse_retry_after
from bot.relay.images import parse_images
from bot.relay.luma import parse_generation
from bot.relay.mj_parse import parse_ok, parse_page, parse_submit, parse_task, parse_task_list
from bot.relay.suno import parse_task as parse_suno_task
from bot.relay.suno import parse_task_id
from bot.relay.types import (
    LumaState,
    MjAction,
    MjStatus,
    SunoClipStatus,
    SunoTaskStatus,
)
from tests.relay_samples import sample, sample_bytes

HASH = "3785da15-4f70-4034-9128-f3ff1ac634fa"


def test_chat_result_has_text_model_and_usage() -> None:
    result = parse_chat_result(sample("chat_completion.json"))
    assert result.text == "Hello! How can I help you today?"
    assert result.model == "gpt-3.5-turbo-0125"
    assert result.finish_reason == "stop"
    assert result.usage is not None and result.usage.total_tokens == 18


def test_chat_images_split_markdown_from_urls() -> None:
    content = parse_chat_result(sample("gpt4all_image_chat.json")).text
    images = extract_images(content)
    assert images.image_urls == (
        "https://cdn.example-relay.com/gpt4all/20240715/file-7Qk2m9XvB3nP4rT8.webp",
    )
    assert "![" not in images.text_without_images
    assert images.text_without_images.endswith("这是为你生成的一只坐在阳光窗台上的橘猫。")


def test_download_links_to_images_count_but_other_links_stay() -> None:
    text = (
        "Here you go ![a](https://x.test/a.png)\n"
        "[下载链接](https://x.test/a.png) [hi-res](https://x.test/b.JPG?sig=1)\n"
        "see [the docs](https://x.test/readme)"
    )
    images = extract_images(text)
    assert images.image_urls == ("https://x.test/a.png", "https://x.test/b.JPG?sig=1")
    assert "[the docs](https://x.test/readme)" in images.text_without_images
    assert "下载链接" not in images.text_without_images


def test_sd_answer_is_only_an_image() -> None:
    images = extract_images(parse_chat_result(sample("sd_chat_completion.json")).text)
    assert images.text_without_images == ""
    assert len(images.image_urls) == 1 and images.image_urls[0].endswith(".png")


def test_dalle_and_embeddings_and_transcripts() -> None:
    (image,) = parse_images(sample("dalle3.json"))
    assert image.url and image.url.startswith("https://")
    assert image.revised_prompt and "ginger cat" in image.revised_prompt
    result = parse_embeddings(sample("embeddings.json"))
    assert len(result.vectors) == 1 and len(result.vectors[0]) == 16
    assert result.vectors[0][0] == pytest.approx(-0.0140933788)
    verbose = parse_transcript(sample("transcription_verbose.json"))
    assert verbose.language == "chinese" and verbose.duration == pytest.approx(3.42)
    assert verbose.segments[0].end == pytest.approx(3.42)
    assert parse_transcript(sample("transcription.json")).text.startswith("你好")


def test_embeddings_come_back_in_input_order() -> None:
    body = {"data": [{"index": 1, "embedding": [2.0]}, {"index": 0, "embedding": [1.0]}]}
    assert parse_embeddings(body).vectors == ((1.0,), (2.0,))


@pytest.mark.parametrize(
    ("name", "code", "queue", "modal", "existing"),
    [
        ("mj_submit_ok.json", 1, None, False, None),
        ("mj_submit_queued.json", 22, 1, False, None),
        ("mj_submit_exists_modal.json", 21, None, True, None),
        ("mj_submit_exists_done.json", 21, None, False, MjStatus.SUCCESS),
    ],
)
def test_accepted_submits(
    name: str, code: int, queue: int | None, modal: bool, existing: MjStatus | None
) -> None:
    submit = parse_submit(sample(name))
    assert submit.task_id and submit.task_id.isdigit()
    assert (submit.code, submit.queue_position, submit.needs_modal) == (code, queue, modal)
    assert submit.existing_status is existing
    if existing is not None:
        assert submit.existing_image_url and submit.existing_image_url.startswith("https://")
    if modal:
        assert submit.final_prompt == "pig --v 6.1"


def test_numeric_task_id_and_queue_position_from_description() -> None:
    body = {"code": 22, "description": "排队中，前面还有3个任务", "result": 1320098173412546}
    submit = parse_submit(body)
    assert submit.task_id == "1320098173412546"
    assert submit.queue_position == 3


@pytest.mark.parametrize(
    ("name", "error_type"),
    [
        ("mj_submit_banned.json", errors.BannedPromptError),
        ("mj_submit_queue_full.json", errors.QueueFullError),
        ("mj_submit_no_account.json", errors.RejectedError),
    ],
)
def test_refused_submits(name: str, error_type: type[errors.RejectedError]) -> None:
    with pytest.raises(error_type) as caught:
        parse_submit(sample(name))
    assert caught.value.message == sample_description(name)


def sample_description(name: str) -> str:
    body = sample(name)
    assert isinstance(body, dict)
    return str(body["description"])


def test_banned_prompt_names_the_word() -> None:
    with pytest.raises(errors.BannedPromptError) as caught:
        parse_submit(sample("mj_submit_banned.json"))
    assert caught.value.banned_word == "gore"


def test_task_in_progress() -> None:
    task = parse_task(sample("mj_task_in_progress.json"))
    assert task.status is MjStatus.IN_PROGRESS and task.progress == 46
    assert task.action is MjAction.IMAGINE
    assert task.finish_time_ms is None and task.submit_time_ms == 1730621826053
    assert task.buttons == () and task.final_prompt == "pig --v 6.1"


def test_success_task_buttons_and_hash() -> None:
    task = parse_task(sample("mj_task_success_imagine.json"))
    assert task.status.is_final and task.progress == 100
    assert [b.label for b in task.buttons][:4] == ["U1", "U2", "U3", "U4"]
    assert task.buttons[4].emoji == "🔄"
    assert task.message_hash == HASH


def test_relay_reduced_task_gets_hash_from_buttons() -> None:
    task = parse_task(sample("mj_task_success_imagine_relay.json"))
    assert "messageHash" not in task.properties
    assert task.message_hash == HASH
    assert task.image_url == "https://api.example-relay.com/mj/image/1730621826053455"
    assert task.bot_type == ""


@pytest.mark.parametrize(
    ("name", "status", "action"),
    [
        ("mj_task_modal.json", MjStatus.MODAL, MjAction.INPAINT),
        ("mj_task_failure.json", MjStatus.FAILURE, MjAction.IMAGINE),
        ("mj_describe_success.json", MjStatus.SUCCESS, MjAction.DESCRIBE),
        ("mj_shorten_success.json", MjStatus.SUCCESS, MjAction.SHORTEN),
        ("mj_task_success_upscale.json", MjStatus.SUCCESS, MjAction.UPSCALE),
    ],
)
def test_task_variants(name: str, status: MjStatus, action: MjAction) -> None:
    task = parse_task(sample(name))
    assert (task.status, task.action) == (status, action)
    if status is MjStatus.FAILURE:
        assert "Unrecognized parameter" in task.fail_reason
        assert task.image_url is None


def test_unknown_status_and_odd_types_degrade_gracefully() -> None:
    raw = copy.deepcopy(sample("mj_task_in_progress.json"))
    assert isinstance(raw, dict)
    raw.update(id=1730621826053455, status="PAUSED", action="SOMETHING_NEW", progress=40)
    raw.update(submitTime=None, buttons=None, properties=None)
    task = parse_task(raw)
    assert task.id == "1730621826053455"
    assert (task.status, task.action, task.progress) == (MjStatus.UNKNOWN, MjAction.UNKNOWN, 40)
    assert task.submit_time_ms is None and task.buttons == ()


def test_task_lists_pages_queue_seed_and_cancel() -> None:
    queue = parse_task_list(sample("mj_queue.json"))
    assert queue and all(not t.status.is_final for t in queue)
    page = parse_page(sample("mj_query_page.json"), page_size=10)
    assert page.tasks and page.total >= len(page.tasks) and page.page_number == 0
    assert parse_ok(sample("mj_image_seed.json")) == "2830156387"
    assert parse_ok(sample("mj_cancel_ok.json")) == ""
    with pytest.raises(errors.RejectedError, match="关联任务状态错误"):
        parse_ok(sample("mj_image_seed_error.json"))


def test_suno_fetch_objects_keyed_by_id_or_lists() -> None:
    assert parse_task_id(sample("suno_v30_generate.json")) == "0b5a2a8f-4d27-4a3e-9b1f-6d4a3c9e2f10"
    task = parse_suno_task(sample("suno_v30_fetch_complete.json"), "x")
    assert task.status is SunoTaskStatus.COMPLETED and task.is_done
    assert len(task.clips) == 2
    clip = task.clips[0]
    assert clip.status is SunoClipStatus.COMPLETE
    assert clip.audio_url and clip.audio_url.endswith(".mp3")
    assert clip.tags == "epic reggae" and clip.duration == pytest.approx(134.52)
    assert clip.lyrics.startswith("[Verse]") and clip.type == "gen"
    raw = copy.deepcopy(sample("suno_v35_fetch_streaming.json"))
    assert isinstance(raw, dict)
    streaming = parse_suno_task(raw, "x")
    assert streaming.status is SunoTaskStatus.PROCESSING and not streaming.is_done
    assert streaming.clips[0].status is SunoClipStatus.STREAMING
    assert streaming.clips[0].video_url is None and streaming.clips[0].duration is None
    raw["data"]["clips"] = list(raw["data"]["clips"].values())
    assert len(parse_suno_task(raw, "x").clips) == 2


def test_suno_wrapper_failure_is_rejected() -> None:
    with pytest.raises(errors.RejectedError, match="prompt too long"):
        parse_task_id({"code": 4001, "message": "prompt too long", "data": None})
    with pytest.raises(errors.BadRequestError, match="bad input"):
        parse_task_id({"code": 400, "message": "bad input", "data": None})


@pytest.mark.parametrize("shape", ["object", "array", "c_wrapper", "batch_wrapper"])
def test_luma_shapes(shape: str) -> None:
    generation = sample("luma_task_completed.json")
    body: object = {
        "object": generation,
        "array": [generation],
        "c_wrapper": {"code": 200, "data": generation, "message": "success"},
        "batch_wrapper": {
            "code": "success",
            "data": [{"task_id": "t", "status": "SUCCESS", "data": generation}],
        },
    }[shape]
    result = parse_generation(body)
    assert result.state is LumaState.COMPLETED
    assert result.video_url and result.video_url.endswith(".mp4")
    assert result.thumbnail_url and result.last_frame_url


def test_luma_batch_wrapper_in_progress() -> None:
    result = parse_generation(sample("luma_task_batch_wrapper.json"))
    assert result.id == "fc7fb008-0c1a-4a63-a3c8-8e6a1b7c2d11"
    assert result.state is LumaState.PROCESSING and result.video_url is None


def test_luma_pending_generation() -> None:
    result = parse_generation(sample("luma_generation.json"))
    assert result.state is LumaState.PENDING and result.prompt == "robot fighting"


@pytest.mark.parametrize(
    ("status", "name", "error_type"),
    [
        (401, "error_openai_401.json", errors.AuthError),
        (401, "error_token_quota_401.json", errors.QuotaExceededError),
        (403, "error_insufficient_quota_403.json", errors.QuotaExceededError),
        (403, "error_model_forbidden_403.json", errors.PermissionDeniedError),
        (503, "error_no_channel_503.json", errors.NoChannelError),
        (429, "error_rate_limit_429.json", errors.RateLimitedError),
        (500, "error_upstream_500.json", errors.ServerError),
        (400, "error_bad_request_400.json", errors.BadRequestError),
        (400, "error_dalle_content_policy.json", errors.ContentPolicyError),
        (400, "mj_relay_error.json", errors.BadRequestError),
        (400, "mj_relay_task_not_found.json", errors.NotFoundError),
        (400, "mj_relay_unknown_action.json", errors.UnknownActionError),
    ],
)
def test_error_envelopes(status: int, name: str, error_type: type[errors.RelayError]) -> None:
    raw = sample_bytes(name)
    error = error_from_response(status, raw, {})
    assert type(error) is error_type
    assert error.message.strip()
    if isinstance(error, errors.RelayStatusError):
        assert error.status == status


def test_quota_words_win_over_status() -> None:
    for message in ("令牌额度不足", "用户额度不足", "quota_not_enough "):
        error = error_from_response(400, f'{{"description":"{message}","code":4}}'.encode(), {})
        assert isinstance(error, errors.QuotaExceededError)


def test_non_json_error_body_keeps_status() -> None:
    error = error_from_response(502, b"<html>Bad Gateway</html>", {})
    assert isinstance(error, errors.ServerError) and "Bad Gateway" in error.message


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2024, 7, 15, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2", now=now) == 2.0
    assert parse_retry_after("Mon, 15 Jul 2024 12:00:05 GMT", now=now) == pytest.approx(5.0)
    assert parse_retry_after("Mon, 15 Jul 2024 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    for garbled in ("inf", "1e400", "nan", "-inf", str(10**9)):
        assert parse_retry_after(garbled, now=now) is None, garbled
    assert parse_retry_after(None) is None
    error = error_from_response(429, b"{}", {"Retry-After": "3"})
    assert isinstance(error, errors.RateLimitedError) and error.retry_after == 3.0


def test_garbage_json_is_a_decode_error() -> None:
    with pytest.raises(errors.RelayDecodeError) as caught:
        decode_json(b'{"code":1,"descr')
    assert caught.value.body_excerpt.startswith('{"code":1')
