"""Raw JSON shapes of the relay API (RELAY_API.md), as ``TypedDict``.

Request bodies are built as these types so a misspelt key fails type checking. Response
types document what parsers expect; parsers still read every field leniently because the
relay's upstreams disagree on types. Nothing in this module leaves ``bot.relay``.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

# --- requests -----------------------------------------------------------------------


class ImageUrlWire(TypedDict):
    url: str
    detail: NotRequired[str]


class ContentPartWire(TypedDict):
    type: str
    text: NotRequired[str]
    image_url: NotRequired[ImageUrlWire]


class MessageWire(TypedDict):
    role: str
    content: str | list[ContentPartWire]


class StreamOptionsWire(TypedDict):
    include_usage: bool


class ChatRequest(TypedDict):
    model: str
    messages: list[MessageWire]
    stream: NotRequired[bool]
    stream_options: NotRequired[StreamOptionsWire]
    temperature: NotRequired[float]
    top_p: NotRequired[float]
    max_tokens: NotRequired[int]
    stop: NotRequired[str | list[str]]
    presence_penalty: NotRequired[float]
    frequency_penalty: NotRequired[float]
    user: NotRequired[str]


class CompletionRequest(TypedDict):
    model: str
    prompt: str | list[str]
    stream: NotRequired[bool]
    max_tokens: NotRequired[int]
    temperature: NotRequired[float]
    top_p: NotRequired[float]
    stop: NotRequired[str | list[str]]
    suffix: NotRequired[str]
    user: NotRequired[str]


class ImageRequest(TypedDict):
    model: str
    prompt: str
    n: NotRequired[int]
    size: NotRequired[str]
    quality: NotRequired[str]
    style: NotRequired[str]
    response_format: NotRequired[str]
    user: NotRequired[str]


class EmbeddingRequest(TypedDict):
    model: str
    input: str | list[str]
    dimensions: NotRequired[int]
    user: NotRequired[str]


class SpeechRequest(TypedDict):
    model: str
    input: str
    voice: str
    response_format: NotRequired[str]
    speed: NotRequired[float]


class MjCommonRequest(TypedDict, total=False):
    notifyHook: str
    state: str
    botType: str


class MjImagineRequest(MjCommonRequest):
    prompt: str
    base64Array: NotRequired[list[str]]


class MjActionRequest(MjCommonRequest):
    customId: str
    taskId: str
    chooseSameChannel: NotRequired[bool]


class MjBlendRequest(MjCommonRequest):
    base64Array: list[str]
    dimensions: NotRequired[str]


class MjDescribeRequest(MjCommonRequest):
    base64: NotRequired[str]
    link: NotRequired[str]


class MjShortenRequest(MjCommonRequest):
    prompt: str


class MjModalRequest(MjCommonRequest):
    taskId: str
    prompt: NotRequired[str]
    maskBase64: NotRequired[str]


class MjSwapFaceRequest(MjCommonRequest):
    sourceBase64: str
    targetBase64: str


class MjListByConditionRequest(TypedDict):
    ids: list[str]


class MjQueryRequest(TypedDict, total=False):
    pageNumber: int
    pageSize: int
    sort: str
    status: str
    action: str
    state: str
    prompt: str


class SunoInputWire(TypedDict, total=False):
    gpt_description_prompt: str
    prompt: str
    title: str
    tags: str
    make_instrumental: bool
    continue_clip_id: str
    continue_at: float


class SunoMusicRequest(TypedDict):
    custom_mode: bool
    mv: str
    input: SunoInputWire


class SunoConcatRequest(TypedDict):
    clip_id: str


class LumaGenerateRequest(TypedDict):
    user_prompt: str
    aspect_ratio: NotRequired[str]
    expand_prompt: NotRequired[bool]
    image_url: NotRequired[str]
    image_end_url: NotRequired[str]
    loop: NotRequired[bool]
    notify_hook: NotRequired[str]


# --- responses (documentation for the lenient parsers) ------------------------------


class UsageWire(TypedDict, total=False):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class OpenAIErrorBody(TypedDict, total=False):
    message: str
    type: str
    param: str | None
    code: str | int | None


class MjSubmitWire(TypedDict, total=False):
    code: int | str
    description: str
    properties: dict[str, object]
    result: str | int | None


class MjButtonWire(TypedDict, total=False):
    customId: str
    emoji: str
    label: str
    type: int
    style: int


class MjTaskWire(TypedDict, total=False):
    id: str | int
    action: str
    status: str
    progress: str | int
    prompt: str
    promptEn: str
    description: str
    state: str
    submitTime: int | None
    startTime: int | None
    finishTime: int | None
    imageUrl: str | None
    failReason: str | None
    buttons: list[MjButtonWire]
    properties: dict[str, object]
    botType: str
    customId: str


class SunoClipWire(TypedDict, total=False):
    id: str
    status: str
    title: str
    audio_url: str
    video_url: str
    image_url: str
    image_large_url: str
    is_video_pending: bool
    model_name: str
    metadata: dict[str, object]
    created_at: str


class SunoTaskWire(TypedDict, total=False):
    task_id: str
    status: str
    input: str
    clips: dict[str, SunoClipWire] | list[SunoClipWire]


class LumaAssetWire(TypedDict, total=False):
    url: str
    download_url: str


class LumaGenerationWire(TypedDict, total=False):
    id: str
    state: str
    prompt: str
    created_at: str
    video: LumaAssetWire | None
    thumbnail: LumaAssetWire | None
    last_frame: LumaAssetWire | None
    failure_reason: str | None
