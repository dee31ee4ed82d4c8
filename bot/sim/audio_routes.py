"""Audio routes: transcription, translation (multipart) and TTS (binary) — RELAY_API §9."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.sim import media
from bot.sim.envelopes import json_response, openai_error
from bot.sim.openai_routes import no_channel, read_json

_TTS_FORMATS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "mp3": ("audio/mpeg", media.make_mp3),
    "opus": ("audio/ogg", media.make_ogg_opus),
    "wav": ("audio/wav", media.make_wav),
}
_VOICES = frozenset({"alloy", "echo", "fable", "onyx", "nova", "shimmer"})


def _srt_time(seconds: float) -> str:
    millis = int(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d},{rest % 1000:03d}"


def _render(text: str, fmt: str, task: str, language: str, duration: float) -> web.Response:
    if fmt == "text":
        return web.Response(text=text + "\n")
    if fmt == "srt":
        return web.Response(text=f"1\n00:00:00,000 --> {_srt_time(duration)}\n{text}\n\n")
    if fmt == "vtt":
        end = _srt_time(duration).replace(",", ".")
        return web.Response(
            text=f"WEBVTT\n\n00:00:00.000 --> {end}\n{text}\n\n", content_type="text/vtt"
        )
    if fmt == "verbose_json":
        segment = {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": duration,
            "text": text,
            "tokens": [50364, 50536],
            "temperature": 0.0,
            "avg_logprob": -0.2,
            "compression_ratio": 1.0,
            "no_speech_prob": 0.01,
        }
        return json_response(
            {
                "task": task,
                "language": language,
                "duration": duration,
                "text": text,
                "segments": [segment],
            }
        )
    return json_response({"text": text})


async def _speech_to_text(request: web.Request, task: str) -> web.Response:
    if not request.content_type.startswith("multipart/"):
        return openai_error(
            400, "(simulated) expected multipart/form-data with a 'file' field", param="file"
        )
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        return openai_error(400, "(simulated) 'file' is required", param="file")
    model = str(form.get("model") or "")
    if not model:
        return openai_error(400, "(simulated) 'model' is required", param="model")
    if not model.startswith("whisper"):
        return no_channel(request, model)
    size = upload.file.seek(0, 2)
    upload.file.seek(0)
    fmt = str(form.get("response_format") or "json")
    if fmt not in ("json", "text", "srt", "verbose_json", "vtt"):
        return openai_error(
            400, f"(simulated) unsupported response_format '{fmt}'", param="response_format"
        )
    if task == "translate":
        text = f"(simulated) English translation of {upload.filename}, {size} bytes"
        language = "english"
    else:
        text = f"(simulated) transcript of {upload.filename}, {size} bytes"
        language = str(form.get("language") or "english")
    duration = round(max(0.5, size / 16000), 2)
    return _render(text, fmt, task, language, duration)


async def transcriptions(request: web.Request) -> web.Response:
    return await _speech_to_text(request, "transcribe")


async def translations(request: web.Request) -> web.Response:
    return await _speech_to_text(request, "translate")


async def speech(request: web.Request) -> web.Response:
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    model = str(body.get("model") or "")
    text: Any = body.get("input")
    if not model.startswith("tts-"):
        return no_channel(request, model or "(none)")
    if not isinstance(text, str) or not text.strip():
        return openai_error(400, "(simulated) 'input' is required", param="input")
    if len(text) > 4096:
        return openai_error(
            400,
            "(simulated) 'input' is longer than 4096 characters",
            param="input",
            code="string_above_max_length",
        )
    if body.get("voice") not in _VOICES:
        return openai_error(400, f"(simulated) unknown voice {body.get('voice')!r}", param="voice")
    fmt = str(body.get("response_format") or "mp3")
    if fmt not in _TTS_FORMATS:
        return openai_error(
            400,
            f"(simulated) the sim only makes {', '.join(_TTS_FORMATS)} audio",
            param="response_format",
        )
    content_type, make = _TTS_FORMATS[fmt]
    return web.Response(body=make(), content_type=content_type)


def register(app: web.Application) -> None:
    app.router.add_post("/v1/audio/transcriptions", transcriptions)
    app.router.add_post("/v1/audio/translations", translations)
    app.router.add_post("/v1/audio/speech", speech)
