"""The relay API's request bodies (RELAY_API.md), as ``TypedDict``.

Request bodies are built as these types so a misspelt key fails type checking. Responses
have no types here: the parsers read every field leniently because the relay's upstreams
disagree on types. Nothing in this module leaves ``bot.relay``.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


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
