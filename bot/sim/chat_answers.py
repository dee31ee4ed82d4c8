"""What the simulated chat models say. Every answer is labelled "(simulated)"."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from bot.sim import media
from bot.sim.media_routes import image_url
from bot.sim.progress import digest

SIM_MODELS = (
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-instruct",
    "gpt-4",
    "gpt-4-turbo",
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4-all",
    "gpt-4-vision-preview",
    "gpt-4-gizmo-*",
    "gemini-pro",
    "gemini-pro-vision",
    "claude-3-5-sonnet-20240620",
    "stable-diffusion-api",
    "dall-e-2",
    "dall-e-3",
    "text-embedding-ada-002",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "whisper-1",
    "tts-1",
    "tts-1-hd",
)
# Families the sim serves besides the exact names above (e.g. dated snapshots).
_MODEL_PREFIXES = ("gpt-", "chatgpt-", "o1", "o3", "o4", "gemini-", "claude-", "stable-diffusion")
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")
_DRAW_WORDS = ("draw", "paint", "picture", "image of", "sketch", "画", "生成图片")


def model_known(model: str) -> bool:
    if not model or model.startswith("nope"):
        return False
    return model in SIM_MODELS or model.startswith(_MODEL_PREFIXES)


def tokens_of(text: str) -> int:
    return max(1, len(text) // 4)


def content_text(content: Any) -> tuple[str, int]:
    """Text and number of images in one message's ``content`` (string or parts)."""
    if isinstance(content, str):
        return content, 0
    texts: list[str] = []
    images = 0
    if isinstance(content, list):
        for part in content:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            elif part.get("type") in ("image_url", "input_image", "image"):
                images += 1
    return "\n".join(texts), images


def last_user_turn(messages: list[Any]) -> tuple[str, int]:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return "", 0


def long_answer(model: str) -> str:
    """About 9,000 characters: numbered paragraphs with a fenced code block in the middle."""
    paragraph = (
        "This paragraph is filler text from the simulated relay. It exists so that the bot "
        "has to split a long answer across several chat messages without cutting a word, a "
        "Markdown marker or a code block in half. Nothing in it is true or useful. "
    )
    code = "\n".join(
        ["```python", "def simulated(n: int) -> list[int]:", '    """(simulated) squares."""']
        + [f"    # line {i}: padding so the block is long enough to matter" for i in range(12)]
        + ["    return [i * i for i in range(n)]", "```"]
    )
    parts = [f"(simulated) Long answer from {model}."]
    for i in range(1, 40):
        parts.append(f"{i}. {paragraph * 1}".strip())
        if i == 18:
            parts.append(code)
    return "\n\n".join(parts)


def inline_answer() -> str:
    """Two inline images: a real one, and ~200 KB of text lying that it is a PNG."""
    real = base64.b64encode(media.make_png(16, 16, (200, 30, 30))).decode()
    fake = base64.b64encode(b"(simulated) not a picture at all. " * 6000).decode()
    return (f"(simulated) A red square: ![red](data:image/png;base64,{real})\n\n"
            f"And a fake one: ![fake](data:image/png;base64,{fake}) That is all.")


def _drawing(base: str, prompt: str) -> str:
    rgb = media.colour_for(prompt)
    url = image_url(base, rgb, f"gpt4all-{digest(prompt)}", 256, 256)
    block = json.dumps({"prompt": f"(simulated) {prompt}", "size": "1024x1024"}, ensure_ascii=False)
    return f"```\n{block}\n```\n\n![image]({url})\n\n(simulated) Here is the picture you asked for."


def answer_for(base: str, model: str, messages: list[Any]) -> str:
    """The assistant's whole answer to the conversation."""
    text, images = last_user_turn(messages)
    turns = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "user")
    if "[long]" in text:
        return long_answer(model)
    if "[inline]" in text:
        return inline_answer()

    if model.startswith("stable-diffusion"):
        rgb = media.colour_for(text)
        url = image_url(base, rgb, f"sd-{digest(text)}", 256, 256)
        return f"![image]({url})\n\n(simulated) Stable Diffusion image for: {text}"
    if model == "gpt-4-all":
        urls = _URL.findall(text)
        if urls:
            return (
                f"(simulated) Analysis of {len(urls)} image(s) at {', '.join(urls)}: a plain "
                "placeholder picture in one solid colour, no people, no text."
            )
        if any(word in text.lower() for word in _DRAW_WORDS):
            return _drawing(base, text)
    if images:
        noun = "image" if images == 1 else "images"
        return f"(simulated) I saw {images} {noun}. You asked: {text or '(no text)'}"
    if model.startswith("gpt-4-gizmo-"):
        gpt_id = model.removeprefix("gpt-4-gizmo-")
        return f"(simulated) GPT {gpt_id} answers: {text}"
    if model.startswith("gemini-"):
        return f"(simulated) Gemini ({model}) says: {text}"
    return f"(simulated) {model} reply #{turns} to: {text}"


def clip_to_max_tokens(text: str, max_tokens: Any) -> tuple[str, str]:
    """Cut ``text`` like a model hitting ``max_tokens``; returns (text, finish_reason)."""
    if isinstance(max_tokens, int) and max_tokens > 0 and tokens_of(text) > max_tokens:
        return text[: max_tokens * 4], "length"
    return text, "stop"


def stream_pieces(text: str, max_pieces: int = 80) -> list[str]:
    """Split ``text`` into stream deltas: words with their leading space, grouped if many."""
    words = re.findall(r"\s*\S+", text) or [text]
    if len(words) > 1 and text != "".join(words):
        words[-1] += text[len("".join(words)) :]
    group = max(1, -(-len(words) // max_pieces))
    return ["".join(words[i : i + group]) for i in range(0, len(words), group)]
