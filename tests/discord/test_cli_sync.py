"""``relaybot sync-commands`` as an operator runs it, against the fake Discord."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.fakes.discord_api import TOKEN, FakeDiscord

ROOT = Path(__file__).resolve().parents[2]


async def _sync(dc: FakeDiscord, tmp_path: Path, token: str, *args: str) -> tuple[int, str, str]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[relay]\nbase_url = "http://127.0.0.1:1"\napi_key = "sk-unused"\n'
        f'[discord]\ntoken_env = "DISCORD_TOKEN"\napi_base_url = "{dc.api_base}"\n'
        f'gateway_url = "{dc.gateway_url}"\nguild_ids = [{dc.guild_id}]\n',
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DISCORD_TOKEN": token}
    # A real subprocess, run without blocking the loop the fake answers on.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sync-commands", "--config", str(config), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_sync_commands_registers_to_the_configured_guild(
    dc: FakeDiscord, tmp_path: Path
) -> None:
    code, out, err = await _sync(dc, tmp_path, TOKEN)
    assert code == 0, err
    registered = dc.commands[dc.guild_id]
    assert f"registered {len(registered)} slash commands in guilds {dc.guild_id}" in out
    assert {"chat", "imagine", "music", "video", "settings"} <= {c["name"] for c in registered}
    assert "global" not in dc.commands

    code, out, err = await _sync(dc, tmp_path, TOKEN, "--global")
    assert code == 0, err
    assert "globally" in out and len(dc.commands["global"]) == len(registered)


async def test_a_wrong_token_is_one_clear_line(dc: FakeDiscord, tmp_path: Path) -> None:
    code, _out, err = await _sync(dc, tmp_path, "wrong-token-123")
    assert code == 1
    assert "Discord refused the bot token" in err
    assert "Traceback" not in err and "wrong-token-123" not in err
