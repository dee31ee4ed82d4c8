"""The console as a user drives it: lines in, exactly the documented events out."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from adapters.console.adapter import ConsoleResponder, ConsoleSession, console_limits
from adapters.console.convert import MessageInput, PressInput, find_button, parse_line
from bot.config import AppConfig, BotConfig, RelayConfig, Secret
from bot.config_storage import StorageConfig
from bot.console import run_console
from bot.core.models import (
    Button,
    ButtonPress,
    Invocation,
    Question,
    Reply,
    Responder,
    TypedAnswer,
)
from bot.core.texts import t
from bot.sim import SimRelay
from bot.sim.media import make_png
from tests.relay_sim import SIM_KEY

EVENT_KEYS = {"event", "message_id", "text", "attachments", "buttons"}
# With demo=True only the [bot] section of a given config is used: no waiting between edits.
FAST_DEMO = AppConfig(
    relay=RelayConfig(base_url="http://127.0.0.1:9", api_key=Secret("unused")),
    bot=BotConfig(edit_interval_s=0.0),
)


async def console(
    lines: str, tmp_path: Path, *, config: AppConfig | None = None, max_text: int = 4000
) -> list[dict[str, Any]]:
    stdout = io.StringIO()
    code = await run_console(
        config or FAST_DEMO,
        demo=config is None,
        jsonl=True,
        media_dir=tmp_path / "media",
        wait_s=10,
        stdin=io.StringIO(lines),
        stdout=stdout,
        limits=console_limits(0.0, max_text=max_text),
    )
    assert code == 0
    events = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert all(set(event) == EVENT_KEYS for event in events)
    return events


def finals(events: list[dict[str, Any]]) -> dict[str, str]:
    shown: dict[str, str] = {}
    for event in events:
        shown[event["message_id"]] = event["text"]
    return shown


def config_for(sim: SimRelay, tmp_path: Path) -> AppConfig:
    return AppConfig(
        relay=RelayConfig(base_url=sim.base_url, api_key=Secret(SIM_KEY), timeout_s=5),
        storage=StorageConfig(path=tmp_path / "bot.sqlite3"),
        bot=BotConfig(edit_interval_s=0.0),
    )


async def test_demo_chat_prints_the_exact_json_events(tmp_path: Path) -> None:
    events = await console("hello\n", tmp_path)
    assert events[0] == {
        "event": "send",
        "message_id": "m1",
        "text": "(simulated) gpt-4o-mini reply #1 to: hello",
        "attachments": [],
        "buttons": [],
    }
    assert finals(events) == {"m1": "(simulated) gpt-4o-mini reply #1 to: hello"}


async def test_press_picks_the_button_by_whole_word(tmp_path: Path) -> None:
    events = await console("/model\n!press gpt-4o\nhi\n", tmp_path)
    menu = events[0]
    assert menu["buttons"][0] == ["gpt-4o-mini", "gpt-4o"]
    assert events[1]["event"] == "edit" and events[1]["message_id"] == "m1"
    assert events[1]["text"] == "From now on this conversation uses gpt-4o."
    assert events[1]["buttons"] == []
    assert finals(events)["m2"] == "(simulated) gpt-4o reply #1 to: hi"


async def test_long_answers_continue_in_new_messages(tmp_path: Path) -> None:
    events = await console("/chat tell me [long]\n", tmp_path, max_text=1500)
    shown = finals(events)
    assert len(shown) >= 6
    assert all(len(text) <= 1500 for text in shown.values())
    assert not any("still writing" in text for text in shown.values())
    code = [text for text in shown.values() if "```python" in text]
    assert code and all(text.count("```") % 2 == 0 for text in code)


async def test_file_tokens_attach_images(sim: SimRelay, tmp_path: Path) -> None:
    picture = tmp_path / "red square.png"
    picture.write_bytes(make_png(4, 4, (255, 0, 0)))
    events = await console(
        f'what is this? file:"{picture}"\n', tmp_path, config=config_for(sim, tmp_path)
    )
    assert finals(events)["m1"] == "(simulated) I saw 1 image. You asked: what is this?"
    body = sim.requests_to("/v1/chat/completions")[-1].json
    assert body["messages"][-1]["content"][1]["image_url"]["url"].startswith("data:image/png")


async def test_a_file_can_be_given_to_its_option_with_or_without_file_prefix(
    sim: SimRelay, tmp_path: Path
) -> None:
    picture = tmp_path / "red.png"
    picture.write_bytes(make_png(4, 4, (255, 0, 0)))
    lines = f"/chat what is this? image=file:{picture}\n/chat and now? image={picture}\n"
    events = await console(lines, tmp_path, config=config_for(sim, tmp_path))
    shown = finals(events)
    assert shown["m1"] == "(simulated) I saw 1 image. You asked: what is this?"
    assert shown["m2"] == "(simulated) I saw 1 image. You asked: and now?"
    for request in sim.requests_to("/v1/chat/completions"):
        content = request.json["messages"][-1]["content"]
        assert content[1]["image_url"]["url"].startswith("data:image/png")


async def test_a_file_given_to_an_option_without_files_is_refused(
    sim: SimRelay, tmp_path: Path
) -> None:
    picture = tmp_path / "red.png"
    picture.write_bytes(make_png(4, 4, (255, 0, 0)))
    lines = f"/chat hi model=file:{picture}\n/tts hello colour=file:{picture}\n"
    events = await console(lines, tmp_path, config=config_for(sim, tmp_path))
    assert [e["text"] for e in events] == [
        "model takes text, not a file (red.png).",
        "/tts has no option “colour”. Options: speed, text, voice.",
    ]
    assert sim.requests_to("/v1/chat/completions") == []


async def test_an_unknown_option_is_refused_before_the_relay_is_asked(
    sim: SimRelay, tmp_path: Path
) -> None:
    lines = "/chat tell me a joke modle=gpt-4o\n/chat is a=b and x==y? see https://x.test/?q=1\n"
    events = await console(lines, tmp_path, config=config_for(sim, tmp_path))
    refusal = events[0]["text"]
    assert refusal.startswith("/chat has no option “modle=”. Its options: prompt=, model=")
    assert refusal.endswith("put a backslash before the “=”: `modle\\=`")
    [request] = sim.requests_to("/v1/chat/completions")
    assert request.json["messages"][-1]["content"] == "is a=b and x==y? see https://x.test/?q=1"


async def test_help_shows_the_console_syntax(tmp_path: Path) -> None:
    events = await console("/help\n", tmp_path)
    text = events[0]["text"]
    assert "/imagine <prompt> [image=file]" in text
    assert "file:PATH" in text and "image=file:PATH" in text and "image=PATH" in text
    assert "!press LABEL" in text and "!press reroll" in text and "\\=" in text


async def test_a_chinese_user_sees_usage_placeholders_in_chinese(tmp_path: Path) -> None:
    # Option names stay as typed (image=, model=); what stands for a value is Chinese.
    events = await console("/settings\n!press Language\n!press 简体中文\n/help\n/chat\n"
                           "/similar one two\n", tmp_path)
    texts = [e["text"] for e in events if e["event"] == "send"]
    help_text = next(text for text in texts if text.startswith(t("help.header", "zh")))
    usages = [line.split(" — ", 1)[0] for line in help_text.splitlines() if " — " in line]
    assert "/chat <提示词> [model=…] [image=文件]" in usages
    assert "/similar <文本一> | <文本二>" in usages
    for usage in usages:  # left after command, subcommand and option names: no English
        typed = re.sub(r"^/\w+|[a-z0-9_]+=|\b[a-z]+(?:\|[a-z]+)+", "", usage)
        assert re.search(r"[A-Za-z]", typed) is None, usage
    assert texts[-2].endswith("示例：/chat <提示词> [model=…] [image=文件]")
    assert texts[-1].endswith("示例：/similar <文本一> | <文本二>")


async def test_received_images_are_saved_under_media_dir(tmp_path: Path) -> None:
    events = await console("/chat draw a cat model=gpt-4-all\n", tmp_path)
    attachments = [a for event in events for a in event["attachments"]]
    assert len(attachments) == 1 and attachments[0]["kind"] == "image"
    saved = Path(attachments[0]["path"])
    assert saved.parent == tmp_path / "media"
    assert (await asyncio.to_thread(saved.read_bytes)).startswith(b"\x89PNG")


async def test_errors_and_bad_input_are_answered_not_raised(tmp_path: Path) -> None:
    events = await console("/chat\n/nope\n/chat hi model=gpt-99\n", tmp_path)
    texts = [e["text"] for e in events]
    assert texts[0].startswith("Missing “prompt”.")
    assert texts[1].startswith("I don't know the command /nope.")
    assert texts[2].startswith("“gpt-99” is not an available model.")


async def test_console_remarks_follow_the_users_language(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.console")
    await console("/settings\n!press Language\n!press 简体中文\n!press nosuch\n"
                  "/describe file:nothere.png\n", tmp_path)
    remarks = [r.getMessage() for r in caplog.records if r.name.startswith("adapters.console")]
    assert remarks == [
        t("console.no_button", "zh", label="nosuch"),
        t("console.file_missing", "zh", path="nothere.png"),
    ]


async def test_human_output_shows_messages_and_buttons(tmp_path: Path) -> None:
    stdout = io.StringIO()
    await run_console(
        None,
        demo=True,
        jsonl=False,
        media_dir=tmp_path,
        wait_s=5,
        stdin=io.StringIO("/model\n!press Nothing\n"),
        stdout=stdout,
        welcome=True,
    )
    out = stdout.getvalue()
    assert out.startswith("relaybot demo")
    assert "[m1] This conversation uses gpt-4o-mini." in out
    assert "  [gpt-4o-mini] [gpt-4o]" in out
    assert "! No message has a button labelled “Nothing”." in out


class AskingCore:
    """A core whose one command asks a question, as a Midjourney zoom or remix does; the
    answer continues it."""

    def __init__(self) -> None:
        self.answers: list[str] = []
        self.asked_for: list[str] = []

    async def handle(self, invocation: Invocation, responder: Responder) -> None:
        self.asked_for.append(invocation.text)
        await responder.ask(Question("New zoom factor?", "2", "token"))

    async def answer(self, answer: TypedAnswer, responder: Responder) -> bool:
        self.answers.append(answer.text)
        for _ in range(50):  # keep working after the answer: the next line must wait
            await asyncio.sleep(0)
        await responder.send(Reply(f"zoom {answer.text} for {self.asked_for[-1]}"))
        return True

    async def press(self, press: ButtonPress, responder: Responder) -> None:
        raise AssertionError("no buttons here")


async def test_the_line_after_a_question_answers_it(tmp_path: Path) -> None:
    stdout = io.StringIO()
    core = AskingCore()
    responder = ConsoleResponder(stdout, jsonl=True, media_dir=tmp_path, limits=console_limits())
    session = ConsoleSession(
        core, responder, io.StringIO("zoom a\n1.5\nzoom b\n\n"), max_file_bytes=1000
    )
    assert await session.run(wait_s=5) == 0
    assert core.answers == ["1.5", "2"]  # an empty line keeps the prefilled value
    texts = [json.loads(line)["text"] for line in stdout.getvalue().splitlines()]
    assert texts == [
        "✏️ New zoom factor?\n(current: 2; an empty line keeps it)",
        "zoom 1.5 for zoom a",
        "✏️ New zoom factor?\n(current: 2; an empty line keeps it)",
        "zoom 2 for zoom b",
    ]


def test_line_parsing() -> None:
    assert parse_line("   ") is None
    assert parse_line("!press  Custom Zoom ") == PressInput("Custom Zoom")
    assert parse_line('look file:a.png and file:"my b.png" now') == MessageInput(
        "look and now", ("a.png", "my b.png")
    )
    assert parse_line('/imagine a cat image=file:a.png image2="b c.png" --ar 16:9',
                      {"image", "image2"}) == MessageInput(
        "/imagine a cat --ar 16:9", (), (("image", "a.png"), ("image2", "b c.png"))
    )
    # Without the command's file options, name=PATH stays text (the core reads it).
    assert parse_line("/chat hi model=a.png") == MessageInput("/chat hi model=a.png")


def test_press_finds_emoji_buttons_by_name() -> None:
    grid = (Button("U1", "k-u1"), Button("🔄", "k-reroll", names=("reroll", "重新生成")))
    pans = (Button("⬅️", "k-left", names=("pan left", "向左平移")),)
    messages = [("m1", (grid,)), ("m2", (pans,))]
    assert find_button(messages, "reroll") == ("m1", grid[1])
    assert find_button(messages, "重新生成") == ("m1", grid[1])
    assert find_button(messages, "left") == ("m2", pans[0])
    assert find_button(messages, "🔄") == ("m1", grid[1])
    assert find_button(messages, "roll") is None
