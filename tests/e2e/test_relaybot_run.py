"""``relaybot run`` exactly as an operator starts it: a config file, tokens in the
environment, both platforms; answers on each, stops cleanly on SIGTERM, and a wrong
token is one clear line instead of a traceback."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from bot.sim import SimRelay
from tests.e2e.harness import WRITING
from tests.e2e.process import (
    ENV,
    RELAY_KEY,
    STARTUP_S,
    TELEGRAM_TOKEN,
    running_relaybot,
    write_config,
)
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram

SECRETS = (TELEGRAM_TOKEN, RELAY_KEY, DISCORD_TOKEN)


def assert_clean(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    for secret in SECRETS:
        assert secret not in stderr, f"a secret leaked into the logs: {secret[:6]}…"


async def test_run_answers_both_platforms_and_stops_on_sigterm(
    tmp_path: Path, tg_run: FakeTelegram, dc: FakeDiscord, run_sim: SimRelay
) -> None:
    tg = tg_run
    config = write_config(tmp_path, relay_url=run_sim.base_url, tg=tg, dc=dc)
    alice = tg.user(1001, "Alice")
    dm = tg.private_chat(alice)
    async with running_relaybot(config, ENV, tmp_path) as bot:
        tg.send_text(dm, alice, "/chat hello from Telegram")
        await bot.meanwhile(
            tg.wait_until(
                lambda: any("reply #1 to: hello from Telegram" in m.text
                            for m in tg.messages_in(dm)),
                wait_s=STARTUP_S, what="the Telegram answer",
            ),
            "answering on Telegram",
        )
        await bot.meanwhile(
            dc.wait_until(lambda: len(dc.identify) == 1, timeout_s=STARTUP_S),
            "connecting to Discord",
        )
        asked = await dc.slash("chat", {"prompt": "hello from Discord"})
        [*_, answer] = await bot.meanwhile(
            dc.wait_for("PATCH", f"/webhooks/*/{asked.token}/messages/@original",
                        where=lambda c: WRITING not in c.shown),
            "answering on Discord",
        )
        assert "reply #1 to: hello from Discord" in answer.shown

        # The job tracker runs in the same process, on real time: results arrive by
        # themselves, each on its own platform.
        tg.send_text(dm, alice, "/imagine a red fox")
        await dc.slash("imagine", {"prompt": "a blue whale"})
        [photo] = await bot.meanwhile(tg.wait_for("sendPhoto", wait_s=10), "a Telegram result")
        assert "a red fox" in str(photo.params["caption"])
        [result] = await bot.meanwhile(
            dc.wait_for("POST", f"/channels/{dc.channel_id}/messages",
                        where=lambda c: bool(c.files), timeout_s=10),
            "a Discord result",
        )
        assert "a blue whale" in result.shown

        stopping = time.monotonic()
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.exited(within_s=10) == 0, bot.stderr
        assert time.monotonic() - stopping < 5, "SIGTERM stops the bot promptly"
        stderr = bot.stderr
        assert_clean(stderr)
        assert "platform started: telegram" in stderr and "platform started: discord" in stderr
        assert " ERROR " not in stderr, stderr
        assert " WARNING " not in stderr, stderr  # e.g. discord.py's voice-library notices
        assert tg.protocol_errors == []


async def test_run_with_a_wrong_telegram_token_says_so_in_one_line(
    tmp_path: Path, dc: FakeDiscord, run_sim: SimRelay
) -> None:
    async with FakeTelegram("5012345678:AAsomeOtherBotsTokenThatIsNotOurs_9") as tg:
        config = write_config(tmp_path, relay_url=run_sim.base_url, tg=tg, dc=dc, level="INFO")
        async with running_relaybot(config, ENV, tmp_path) as bot:
            assert await bot.exited(within_s=STARTUP_S) == 1, bot.stderr
            stderr = bot.stderr
            assert_clean(stderr)
            [line] = [x for x in stderr.splitlines() if x.strip()]
            assert line.startswith("relaybot: ") and "Telegram" in line and "token" in line
        assert dc.identify == [], "nothing half-started on Discord either"


async def test_run_only_discord_with_shard_ids_connects_just_those_shards(
    tmp_path: Path, tg_run: FakeTelegram, dc: FakeDiscord, run_sim: SimRelay
) -> None:
    config = write_config(tmp_path, relay_url=run_sim.base_url, tg=tg_run, dc=dc, level="INFO")
    config.write_text(config.read_text().replace("[discord]\n", "[discord]\nshard_count = 2\n"))
    async with running_relaybot(config, ENV, tmp_path, ["--only", "discord", "--shard-ids", "1"]
                                ) as bot:
        await bot.meanwhile(dc.wait_until(lambda: len(dc.identify) == 1, timeout_s=STARTUP_S),
                            "connecting to Discord")
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.exited(within_s=10) == 0, bot.stderr
        stderr = bot.stderr
    assert [frame["shard"] for frame in dc.identify] == [[1, 2]]
    assert "Discord connected as relaybot" in stderr and "(shards 1 of 2)" in stderr
    assert "this process: receives discord; tracks no jobs" in stderr
    assert tg_run.calls == [], "Telegram is not this process's role"
    assert_clean(stderr)
