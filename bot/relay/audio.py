"""Audio (RELAY_API.md §9): transcription, translation (multipart uploads) and TTS."""

from __future__ import annotations

from typing import Literal

import aiohttp

from bot.lenient import as_dict, as_list, as_str, opt_float, opt_str
from bot.relay.envelopes import decode_json, error_in_body
from bot.relay.errors import RelayDecodeError
from bot.relay.transport import Transport
from bot.relay.types import Speech, Transcript, TranscriptSegment
from bot.relay.wire import SpeechRequest

TRANSCRIPTIONS = "/v1/audio/transcriptions"
TRANSLATIONS = "/v1/audio/translations"
SPEECH = "/v1/audio/speech"

TranscriptFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]
_PLAIN_FORMATS = ("text", "srt", "vtt")


def parse_transcript(body: object) -> Transcript:
    if (error := error_in_body(body)) is not None:
        raise error
    data = as_dict(body)
    if not isinstance(data.get("text"), str):
        raise RelayDecodeError("the transcript has no text")
    segments = tuple(
        TranscriptSegment(
            start=opt_float(seg.get("start")) or 0.0,
            end=opt_float(seg.get("end")) or 0.0,
            text=as_str(seg.get("text")),
        )
        for seg in map(as_dict, as_list(data.get("segments")))
    )
    return Transcript(
        text=as_str(data.get("text")),
        language=opt_str(data.get("language")),
        duration=opt_float(data.get("duration")),
        segments=segments,
    )


class AudioResource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def transcribe(
        self,
        audio: bytes,
        *,
        filename: str,
        content_type: str,
        model: str = "whisper-1",
        language: str | None = None,
        prompt: str | None = None,
        response_format: TranscriptFormat = "json",
        temperature: float | None = None,
    ) -> Transcript:
        """Speech → text in its own language. text / srt / vtt come back as ``Transcript.text``."""
        fields = _fields(model, prompt, response_format, temperature)
        if language is not None:
            fields["language"] = language
        return await self._upload(TRANSCRIPTIONS, audio, filename, content_type, fields)

    async def translate(
        self,
        audio: bytes,
        *,
        filename: str,
        content_type: str,
        model: str = "whisper-1",
        prompt: str | None = None,
        response_format: TranscriptFormat = "json",
        temperature: float | None = None,
    ) -> Transcript:
        """Speech → English text."""
        fields = _fields(model, prompt, response_format, temperature)
        return await self._upload(TRANSLATIONS, audio, filename, content_type, fields)

    async def speech(
        self,
        text: str,
        *,
        model: str = "tts-1",
        voice: str = "alloy",
        response_format: str | None = None,
        speed: float | None = None,
    ) -> Speech:
        """Text → audio bytes (mp3 by default; ask ``opus`` for Telegram voice notes)."""
        body: SpeechRequest = {"model": model, "input": text, "voice": voice}
        if response_format is not None:
            body["response_format"] = response_format
        if speed is not None:
            body["speed"] = speed
        raw = await self._transport.request_body("POST", SPEECH, json_body=body)
        if "json" in raw.content_type:
            # Audio never comes as JSON: this is an error envelope with a 200 status.
            answer = decode_json(raw.data)
            raise error_in_body(answer) or RelayDecodeError("expected audio, got JSON")
        if not raw.data:
            raise RelayDecodeError("the speech answer is empty")
        return Speech(audio=raw.data, content_type=raw.content_type or "application/octet-stream")

    async def _upload(
        self, path: str, audio: bytes, filename: str, content_type: str, fields: dict[str, str]
    ) -> Transcript:
        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("file", audio, filename=filename, content_type=content_type)
            for name, value in fields.items():
                data.add_field(name, value)
            return data

        raw = await self._transport.request_body("POST", path, form=form)
        if fields["response_format"] in _PLAIN_FORMATS and "json" not in raw.content_type:
            return Transcript(text=raw.data.decode("utf-8", "replace"))
        return parse_transcript(decode_json(raw.data))


def _fields(
    model: str, prompt: str | None, response_format: str, temperature: float | None
) -> dict[str, str]:
    fields = {"model": model, "response_format": response_format}
    if prompt is not None:
        fields["prompt"] = prompt
    if temperature is not None:
        fields["temperature"] = str(temperature)
    return fields
