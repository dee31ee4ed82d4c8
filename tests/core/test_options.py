"""Parsing ``/cmd text key=value`` and the input checks that run before money is spent."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.core.failures import describe_failure
from bot.core.models import Attachment
from bot.core.options import (
    OptionSpec,
    assign_attachments,
    parse_command,
    parse_text_options,
    validate_options,
)

CHAT = (
    OptionSpec("prompt", required=True),
    OptionSpec("model", choices_from="chat_models"),
    OptionSpec("image", type="attachment", kinds=("image",), max_bytes=1000),
)
TTS = (
    OptionSpec("text", required=True),
    OptionSpec("voice", choices=("alloy", "nova")),
    OptionSpec("speed", type="float", minimum=0.25, maximum=4.0),
)


async def _no_bytes(limit: int) -> bytes:
    return b""


def _file(kind: str = "image", size: int = 10) -> Attachment:
    return Attachment(
        kind=kind,
        filename=f"f.{kind}",
        content_type="x/y",
        size=size,  # type: ignore[arg-type]
        reader=_no_bytes,
    )


def _check(
    specs: tuple[OptionSpec, ...], values: dict[str, object], command: str = "chat"
) -> dict[str, object]:
    return dict(
        validate_options(
            command,
            specs,
            values,
            default_max_length=50,  # type: ignore[arg-type]
            dynamic_choices={"chat_models": ("gpt-4o", "gpt-4o-mini")},
        )
    )


def _message(error: pytest.ExceptionInfo[UserError]) -> str:
    message = describe_failure(error.value)  # how the dispatcher words it
    assert message is not None
    return message


def test_command_name_and_rest() -> None:
    parsed = parse_command("/Chat@relay_bot hello  world")
    assert parsed is not None and parsed.name == "chat" and parsed.rest == "hello  world"
    assert parse_command("hello /chat") is None
    assert parse_command("/") is None


def test_free_text_goes_to_main_option_and_known_keys_are_options() -> None:
    values = parse_text_options("solve x=5 for me model=gpt-4o", CHAT, ("prompt",))
    assert values == {"prompt": "solve x=5 for me", "model": "gpt-4o"}


def test_quoted_values_keep_spaces() -> None:
    specs = (OptionSpec("text"),)
    assert parse_text_options('text="You are a pirate"', specs, ("text",)) == {
        "text": "You are a pirate"
    }


def test_two_main_options_split_at_bar() -> None:
    specs = (OptionSpec("a", required=True), OptionSpec("b", required=True))
    assert parse_text_options("a cat | a kitten | x", specs, ("a", "b")) == {
        "a": "a cat",
        "b": "a kitten | x",
    }


def test_choice_is_matched_case_insensitively_and_canonicalised() -> None:
    assert _check(TTS, {"text": "hi", "voice": "NOVA"})["voice"] == "nova"


def test_unknown_choice_says_what_is_allowed() -> None:
    with pytest.raises(UserError) as error:
        _check(TTS, {"text": "hi", "voice": "bob"}, "tts")
    assert _message(error) == "“bob” is not a valid voice. Allowed: alloy, nova."


def test_dynamic_choices_from_config() -> None:
    with pytest.raises(UserError) as error:
        _check(CHAT, {"prompt": "hi", "model": "gpt-5"})
    assert "Allowed: gpt-4o, gpt-4o-mini" in _message(error)


def test_missing_and_empty_prompt() -> None:
    with pytest.raises(UserError) as error:
        _check(CHAT, {})
    assert _message(error).startswith("Missing “prompt”. Example: /chat <prompt>")
    with pytest.raises(UserError) as error:
        _check(CHAT, {"prompt": "   "})
    assert _message(error).startswith("prompt is empty.")


def test_too_long_prompt_names_the_limit() -> None:
    with pytest.raises(UserError) as error:
        _check(CHAT, {"prompt": "x" * 51})
    assert _message(error) == "prompt is too long: 51 characters, at most 50 are allowed."


def test_numbers_are_converted_and_bounded() -> None:
    assert _check(TTS, {"text": "hi", "speed": "1.5"})["speed"] == 1.5
    with pytest.raises(UserError) as error:
        _check(TTS, {"text": "hi", "speed": "9"}, "tts")
    assert _message(error) == "speed must be at most 4."
    with pytest.raises(UserError) as error:
        _check(TTS, {"text": "hi", "speed": "fast"}, "tts")
    assert _message(error) == "speed must be a number, not “fast”."


def test_integer_and_bool_options() -> None:
    specs = (OptionSpec("n", type="int", minimum=1), OptionSpec("hd", type="bool"))
    assert _check(specs, {"n": "3", "hd": "yes"}) == {"n": 3, "hd": True}
    with pytest.raises(UserError) as error:
        _check(specs, {"n": "2.5"})
    assert _message(error) == "n must be a whole number, not “2.5”."


def test_unknown_option_is_refused() -> None:
    with pytest.raises(UserError) as error:
        _check(TTS, {"text": "hi", "colour": "red"}, "tts")
    assert _message(error) == "/tts has no option “colour”. Options: speed, text, voice."


def test_attachments_fill_attachment_options_by_kind() -> None:
    audio, image = _file("audio"), _file("image")
    values = assign_attachments(CHAT, {"prompt": "hi"}, [audio, image])
    assert values["image"] is image


def test_wrong_attachment_kind_for_required_option_is_explained() -> None:
    specs = (OptionSpec("audio", type="attachment", required=True, kinds=("audio", "voice")),)
    values = assign_attachments(specs, {}, [_file("image")])
    with pytest.raises(UserError) as error:
        _check(specs, values, "transcribe")
    assert _message(error) == "audio must be audio or voice, but you sent image."
    assert describe_failure(error.value, "zh") == "audio 需要音频或语音，但你发送的是图片。"


def test_missing_attachment_and_oversized_attachment() -> None:
    specs = (OptionSpec("audio", type="attachment", required=True, kinds=("audio",)),)
    with pytest.raises(UserError) as error:
        _check(specs, {}, "transcribe")
    assert _message(error) == "audio: please attach a file (audio)."
    with pytest.raises(UserError) as error:
        _check(CHAT, {"prompt": "hi", "image": _file("image", size=5000)})
    assert _message(error) == "f.image is too large (4.9 KB); at most 1000 B is allowed."


def test_two_main_options_without_bar_explain_the_form() -> None:
    specs = (OptionSpec("a", required=True), OptionSpec("b", required=True))
    with pytest.raises(UserError) as error:
        parse_text_options("just one text", specs, ("a", "b"), "similar")
    assert _message(error) == (
        "Please give two texts separated by “|”. Example: /similar <a> | <b>"
    )


def test_a_free_text_option_runs_to_the_next_option() -> None:
    specs = (
        OptionSpec("prompt"),
        OptionSpec("title"),
        OptionSpec("tags"),
        OptionSpec("version", choices=("v3.0", "v3.5")),
    )
    values = parse_text_options("prompt=a happy song about cats version=v3.5", specs, ("prompt",))
    assert values == {"prompt": "a happy song about cats", "version": "v3.5"}
    lyrics = parse_text_options("title=Rain Song tags=epic reggae", specs, ("prompt",))
    assert lyrics == {"title": "Rain Song", "tags": "epic reggae"}
    # A one-word option hands the rest back to the main text.
    mixed = parse_text_options("version=v3.0 a calm piano piece", specs, ("prompt",))
    assert mixed == {"version": "v3.0", "prompt": "a calm piano piece"}


def test_text_that_fits_nowhere_is_refused_not_dropped() -> None:
    specs = (OptionSpec("prompt"), OptionSpec("version", choices=("v3.0", "v3.5")))
    with pytest.raises(UserError) as error:
        parse_text_options("prompt=a song version=v3.5 and more words", specs, ("prompt",))
    assert "“and more words” does not belong to any option" in _message(error)


MIDJOURNEY = (
    OptionSpec("prompt", required=True),
    OptionSpec("image", type="attachment", kinds=("image",)),
    OptionSpec("bot", choices=("mj", "niji")),
    OptionSpec("mode", choices=("fast", "relax", "turbo")),
)


@pytest.mark.parametrize(
    "prompt",
    [
        "a=b is math",
        "E=mc² on a blackboard, chalk drawing",
        "x == y and f => g, a<=b",
        "https://cdn.example.test/a.png?ex=65f1&is=65e0&hm=9c2 a castle --iw 2",
        "a castle at dusk --ar 16:9 --v 6.1 --style raw --no text, watermark --s 750",
        "cat::2 dog::-0.5 {red, blue} --sref https://s.example.test/x.png?size=large",
        "1+1=2 and 3 = 3",
    ],
)
def test_ordinary_prompts_with_equals_signs_stay_text(prompt: str) -> None:
    assert parse_text_options(prompt, MIDJOURNEY, ("prompt",), "imagine") == {"prompt": prompt}


def test_an_unknown_option_is_refused_with_the_options_and_the_escape() -> None:
    with pytest.raises(UserError) as error:
        parse_text_options("a castle --ar 16:9 stlye=raw", MIDJOURNEY, ("prompt",), "imagine")
    message = _message(error)
    assert "/imagine has no option “stlye=”" in message
    assert "prompt=, image=, bot=, mode=" in message
    assert "stlye\\=" in message
    zh = describe_failure(error.value, "zh")
    assert zh is not None and "没有“stlye=”" in zh and "stlye\\=" in zh


def test_a_mistyped_option_inside_a_free_text_value_is_refused_too() -> None:
    specs = (OptionSpec("prompt"), OptionSpec("tags"))
    with pytest.raises(UserError):
        parse_text_options("prompt=a song about rain tgas=pop", specs, ("prompt",), "music")


def test_backslash_equals_is_a_literal_equals_sign() -> None:
    values = parse_text_options(r"a neon sign reading love\=pain mode=relax", MIDJOURNEY,
                                ("prompt",), "imagine")
    assert values == {"prompt": "a neon sign reading love=pain", "mode": "relax"}
    # An escaped known option name is text too.
    assert parse_text_options(r"what does mode\=fast do", MIDJOURNEY, ("prompt",)) == {
        "prompt": "what does mode=fast do"
    }


def test_a_quoted_value_keeps_equals_signs_exactly() -> None:
    specs = (OptionSpec("text"),)
    assert parse_text_options('text="set mode=fast always"', specs, ("text",)) == {
        "text": "set mode=fast always"
    }


def test_a_file_option_written_as_text_says_it_needs_a_file() -> None:
    values = parse_text_options("a cat image=cat.png", MIDJOURNEY, ("prompt",), "imagine")
    with pytest.raises(UserError) as error:
        _check(MIDJOURNEY, values, "imagine")
    assert _message(error) == "image takes a file sent with the message, not the text “cat.png”."
