"""Completions, DALL·E, embeddings and audio against the simulated relay."""

from __future__ import annotations

import pytest

from bot.relay import RelayClient, errors
from bot.sim import SimRelay, media


async def test_completion_plain_and_streamed(client: RelayClient, sim: SimRelay) -> None:
    result = await client.completions.create(
        "gpt-3.5-turbo-instruct", "Say this is a test", max_tokens=20
    )
    assert result.text and result.usage is not None
    assert sim.requests_to("/v1/completions")[0].json["max_tokens"] == 20
    streamed = [
        d async for d in client.completions.stream("gpt-3.5-turbo-instruct", "Say this is a test")
    ]
    assert "".join(d.text for d in streamed) == result.text


async def test_dalle_image_and_policy_refusal(client: RelayClient, sim: SimRelay) -> None:
    (image,) = await client.images.generate("a ginger cat", size="1024x1024", quality="hd")
    assert image.url and image.url.startswith("http")
    sent = sim.requests_to("/v1/images/generations")[0].json
    assert sent == {
        "model": "dall-e-3",
        "prompt": "a ginger cat",
        "size": "1024x1024",
        "quality": "hd",
    }
    with pytest.raises(errors.ContentPolicyError) as caught:
        await client.images.generate("[policy] something")
    assert caught.value.status == 400


async def test_embeddings_one_vector_per_input(client: RelayClient, sim: SimRelay) -> None:
    single = await client.embeddings.create("hello")
    assert len(single.vectors) == 1 and len(single.vectors[0]) > 0
    many = await client.embeddings.create(["a", "b", "c"], model="text-embedding-3-small")
    assert len(many.vectors) == 3
    assert sim.requests_to("/v1/embeddings")[1].json["input"] == ["a", "b", "c"]


async def test_transcribe_uploads_the_file_and_fields(client: RelayClient, sim: SimRelay) -> None:
    audio = media.make_ogg_opus()
    transcript = await client.audio.transcribe(
        audio, filename="voice.ogg", content_type="audio/ogg", language="zh", prompt="cats"
    )
    assert transcript.text
    request = sim.requests_to("/v1/audio/transcriptions")[0]
    assert request.files["file"] == ("voice.ogg", "audio/ogg", len(audio))
    assert request.form["model"] == "whisper-1" and request.form["language"] == "zh"
    assert request.form["prompt"] == "cats" and request.form["response_format"] == "json"


async def test_transcribe_text_and_verbose_formats(client: RelayClient) -> None:
    audio = media.make_wav()
    text = await client.audio.transcribe(
        audio, filename="a.wav", content_type="audio/wav", response_format="text"
    )
    assert text.text.strip() and text.segments == ()
    verbose = await client.audio.transcribe(
        audio, filename="a.wav", content_type="audio/wav", response_format="verbose_json"
    )
    assert verbose.text and verbose.segments


async def test_translate_has_no_language_field(client: RelayClient, sim: SimRelay) -> None:
    result = await client.audio.translate(
        media.make_mp3(), filename="a.mp3", content_type="audio/mpeg"
    )
    assert result.text
    assert "language" not in sim.requests_to("/v1/audio/translations")[0].form


async def test_speech_returns_audio_bytes(client: RelayClient, sim: SimRelay) -> None:
    speech = await client.audio.speech("hello", voice="nova", response_format="opus")
    assert speech.audio and speech.content_type.startswith("audio/")
    assert sim.requests_to("/v1/audio/speech")[0].json == {
        "model": "tts-1",
        "input": "hello",
        "voice": "nova",
        "response_format": "opus",
    }
