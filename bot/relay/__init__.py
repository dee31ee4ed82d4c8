"""Client for the AI relay API (OpenAI-compatible + Midjourney, Suno, Luma).

Import the client, its inputs/results and the error tree from here::

    from bot.relay import RelayClient, ChatMessage, MjStatus, errors
"""

from bot.relay import errors
from bot.relay.chat import extract_images
from bot.relay.client import RelayClient
from bot.relay.retry import RetryPolicy
from bot.relay.sse import DeltaStream
from bot.relay.types import (
    ChatDelta,
    ChatImages,
    ChatMessage,
    ChatResult,
    ChatRole,
    CompletionResult,
    ContentPart,
    EmbeddingResult,
    ImagePart,
    ImageResult,
    LumaGeneration,
    LumaState,
    MjAction,
    MjButton,
    MjImage,
    MjMode,
    MjPage,
    MjStatus,
    MjSubmit,
    MjTask,
    Speech,
    SunoClip,
    SunoClipStatus,
    SunoTask,
    SunoTaskStatus,
    SunoVersion,
    TextPart,
    Transcript,
    TranscriptSegment,
    Usage,
)

__all__ = [
    "ChatDelta",
    "ChatImages",
    "ChatMessage",
    "ChatResult",
    "ChatRole",
    "CompletionResult",
    "ContentPart",
    "DeltaStream",
    "EmbeddingResult",
    "ImagePart",
    "ImageResult",
    "LumaGeneration",
    "LumaState",
    "MjAction",
    "MjButton",
    "MjImage",
    "MjMode",
    "MjPage",
    "MjStatus",
    "MjSubmit",
    "MjTask",
    "RelayClient",
    "RetryPolicy",
    "Speech",
    "SunoClip",
    "SunoClipStatus",
    "SunoTask",
    "SunoTaskStatus",
    "SunoVersion",
    "TextPart",
    "Transcript",
    "TranscriptSegment",
    "Usage",
    "errors",
    "extract_images",
]
