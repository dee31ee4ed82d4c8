"""/complete: streamed completions, input checks and relay errors."""

from __future__ import annotations

from bot.core.texts import t
from bot.sim import Fault
from tests.commands.conftest import Bot, body_of

PATH = "/v1/completions"


async def test_complete_streams_the_continuation_and_records_usage(console: Bot) -> None:
    out = await console.run("/complete Once upon a time")
    assert out.texts() == ["(simulated) completion of: Once upon a time"]
    body = body_of(console.sim, PATH)
    assert body["model"] == "gpt-3.5-turbo-instruct"
    assert body["prompt"] == "Once upon a time"
    assert body["stream"] is True
    assert await console.usage() == {"completion": (1, 1)}


async def test_model_and_max_tokens_are_passed_and_a_cut_off_is_explained(console: Bot) -> None:
    out = await console.run("/complete tell me model=gpt-3.5-turbo max_tokens=3")
    body = body_of(console.sim, PATH)
    assert (body["model"], body["max_tokens"]) == ("gpt-3.5-turbo", 3)
    assert out.texts()[-1] == t("complete.cut_off", max_tokens=3)


async def test_empty_prompt_and_bad_max_tokens_are_refused_before_any_request(console: Bot) -> None:
    out = await console.run(
        "/complete", "/complete hi max_tokens=0", "/complete hi max_tokens=lots"
    )
    assert out.texts() == [
        t("input.missing", option="prompt", usage="/complete <prompt> [model=…] [max_tokens=…]"),
        t("input.too_small", option="max_tokens", minimum="1"),
        t("input.not_an_integer", option="max_tokens", value="lots"),
    ]
    assert console.sim.requests_to(PATH) == []


async def test_unknown_model_gets_the_no_channel_message(console: Bot) -> None:
    out = await console.run("/complete hi model=nope-1")
    assert out.texts() == [t("error.no_channel")]
    assert await console.usage() == {}


async def test_rate_limit_says_when_to_retry(console: Bot) -> None:
    console.sim.add_fault(Fault("POST", PATH, status=429, headers={"Retry-After": "7"}))
    out = await console.run("/complete hi")
    assert out.texts() == [t("error.rate_limited_retry", seconds=7)]
