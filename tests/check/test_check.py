"""``relaybot check`` as an operator runs it: every configured service, one line each.

The command runs in a thread (its own event loop, as from a shell) against the relay
simulator and the Telegram and Discord fakes (the shared ``sim``, ``tg`` and ``dc``
fixtures) served by the test's loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from adapters.discord import sync_commands
from bot.cli import main
from bot.commands import all_commands
from bot.config import load_config
from bot.sim import Fault, SimRelay
from bot.store.sqlite import open_sqlite_store
from bot.store.sqlite.migrations import MIGRATIONS
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.proxy import FakeProxy
from tests.fakes.telegram_api import FakeTelegram
from tests.relay_sim import SIM_KEY


def _config(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord, *,
    relay_key: str = SIM_KEY, tg_token: str | None = None, dc_token: str = DISCORD_TOKEN,
    relay_url: str | None = None, extra: str = "", storage: str | None = None,
) -> Path:
    """The operator's config.toml; ``storage`` replaces the ``[storage]`` key line."""
    storage = storage or f'path = "{tmp_path / "bot.sqlite3"}"'
    path = tmp_path / "config.toml"
    path.write_text(f"""
[relay]
base_url = "{relay_url or sim.base_url}"
api_key = "{relay_key}"

[telegram]
token = "{tg_token or tg.token}"
base_url = "{tg.base_url}"
base_file_url = "{tg.base_file_url}"

[discord]
token = "{dc_token}"
api_base_url = "{dc.api_base}"
guild_ids = [{dc.guild_id}]

[storage]
{storage}
{extra}
""", encoding="utf-8")
    return path


async def _check(
    path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    code = await asyncio.to_thread(main, ["check", "--config", str(path), "--timeout", "5",
                                          *extra])
    out, err = capsys.readouterr()
    return code, out + err


async def _synced(path: Path) -> None:
    config = load_config(path, env={})
    assert config.discord is not None
    await sync_commands(config.discord, all_commands())


async def test_everything_configured_and_reachable_passes(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _config(tmp_path, sim, tg, dc)
    await _synced(path)
    async with await open_sqlite_store(tmp_path / "bot.sqlite3"):
        pass
    code, out = await _check(path, capsys)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == f"ok   configuration: {path}"
    [relay] = [line for line in lines if line.startswith("ok   relay:")]
    assert f"{sim.base_url} reachable, key accepted" in relay
    assert "offers 10 of 10 configured models" in relay, "gizmo GPTs match the gpt-4-gizmo-* family"
    assert "not served" not in relay
    assert "ok   telegram: bot @relay_test_bot; long polling" in out
    assert f"slash commands synced (guild {dc.guild_id})" in out
    assert "is current" in out and "FAIL" not in out and "fix:" not in out
    assert sim.requests_to("/v1/models"), "the key was tried on the free model list"
    assert not sim.requests_to("/v1/chat/completions"), "nothing billable was asked"
    assert tg.sent("getWebhookInfo")
    assert SIM_KEY not in out


async def test_each_failure_is_one_line_with_its_fix(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _config(tmp_path, sim, tg, dc, relay_key="sk-wrong-key-5678",
                   tg_token="999:not-the-token", dc_token="not-the-discord-token")
    code, out = await _check(path, capsys)
    assert code == 1
    lines = out.splitlines()
    relay_at = lines.index(next(line for line in lines if line.startswith("FAIL relay:")))
    assert "the relay refused the API key (HTTP 401" in lines[relay_at]
    assert lines[relay_at + 1].startswith("     fix: check relay.api_key")
    assert "FAIL telegram: Telegram refused the bot token (HTTP 401)" in out
    assert "fix: check telegram.token / telegram.token_env" in out
    assert "FAIL discord: Discord refused the bot token (HTTP 401)" in out
    assert "fix: check discord.token / discord.token_env" in out
    assert "ok   store:" in out and "will be created on the first start" in out
    assert "3 of 5 checks failed" in out
    for secret in ("sk-wrong-key-5678", "999:not-the-token", "not-the-discord-token"):
        assert secret not in out
    tg.protocol_errors.clear()  # the wrong token was the point


async def test_unreachable_relay_and_unsynced_commands(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    closed = await _closed_port()
    path = _config(tmp_path, sim, tg, dc, relay_url=f"http://127.0.0.1:{closed}")
    code, out = await _check(path, capsys)
    assert code == 1
    assert f"FAIL relay: cannot reach http://127.0.0.1:{closed}" in out
    assert "fix: check relay.base_url (scheme, host, port) and that the relay is up" in out
    assert "FAIL discord: logged in as" in out
    assert f"slash commands not synced: guild {dc.guild_id}: missing " in out
    assert "fix: run `relaybot sync-commands`" in out


async def test_a_gateway_without_model_list_and_features_is_checked_for_free(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for method, route in [("GET", "/v1/models"), ("GET", "/suno/v1/music/*"),
                          ("GET", "/luma/v1/generations/*"),
                          ("POST", "/v1/audio/translations")]:
        sim.add_fault(Fault(method, route, status=404, json_body={"detail": "Not Found"},
                            times=None))
    path = _config(tmp_path, sim, tg, dc)
    await _synced(path)
    code, out = await _check(path, capsys)
    assert code == 0, out
    assert "key accepted; model list not served (GET /v1/models)" in out
    assert "not served (404): audio translation (/translate), Suno, Luma" in out
    [probe] = sim.requests_to("/v1/chat/completions")
    assert probe.json["messages"] == [], "a request refused before any model runs"


async def test_a_base_url_where_no_chat_route_answers_fails(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A common slip: the base URL with /v1, so every request goes to /v1/v1/... and 404s.
    path = _config(tmp_path, sim, tg, dc, relay_url=f"{sim.base_url}/v1")
    await _synced(path)
    code, out = await _check(path, capsys)
    assert code == 1, out
    assert (f"FAIL relay: {sim.base_url}/v1 has no chat completions route "
            "(HTTP 404 for /v1/chat/completions)") in out
    assert "fix: set relay.base_url to the relay's address without /v1" in out
    assert "key accepted" not in out


async def test_configured_models_the_relay_does_not_offer_are_named(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _config(tmp_path, sim, tg, dc, extra='[models]\nimage = "midjourney-v9"\n'
                   'chat = "gpt-4o"\nchat_choices = ["gpt-4o", "o9-preview"]\n')
    await _synced(path)
    code, out = await _check(path, capsys)
    assert code == 0, out
    assert "offers 5 of 7 configured models (not offered: o9-preview, midjourney-v9)" in out


async def test_store_newer_than_the_code_or_not_a_database_fails(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _config(tmp_path, sim, tg, dc)
    await _synced(path)
    database = tmp_path / "bot.sqlite3"
    with closing(sqlite3.connect(database)) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    code, out = await _check(path, capsys)
    assert code == 1
    assert f"newer than this relaybot (v{len(MIGRATIONS)})" in out
    assert "fix: upgrade relaybot" in out

    database.write_bytes(b"this is not sqlite" * 100)
    code, out = await _check(path, capsys)
    assert code == 1 and "is not a usable SQLite database" in out

    database.unlink()
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("CREATE TABLE from_an_older_release (x)")  # schema v0
    code, out = await _check(path, capsys)
    assert code == 0, out
    assert f"schema v0 is migrated to v{len(MIGRATIONS)} on the next start" in out


async def test_offline_check_contacts_nothing(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _config(tmp_path, sim, tg, dc, relay_key="sk-wrong-key-5678")
    code, out = await _check(path, capsys, "--offline")
    assert code == 0
    assert "configuration OK" in out
    assert sim.requests == [] and tg.calls == [] and dc.calls == []


async def _closed_port() -> int:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()
    return port


async def test_check_goes_through_the_configured_proxy(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with FakeProxy(credentials=("ops", "pr0xy-secret")) as proxy:
        path = _config(tmp_path, sim, tg, dc, extra=f'[network]\nproxy = "{proxy.http_url}"\n')
        await _synced(path)
        code, out = await _check(path, capsys)
        assert code == 0, out
        assert "key accepted; through the proxy" in out
        carried = {p.first_line.split(" ")[1].split("/", 3)[-1] for p in proxy.passages}
        assert {"v1/models", "api/v10/users/@me", f"bot{tg.token}/getMe"} <= carried

    code, out = await _check(path, capsys)  # the proxy is gone now
    assert code == 1
    assert "FAIL relay: the proxy did not let the bot through" in out
    assert "fix: check [network] proxy / [relay] proxy" in out
    assert "FAIL telegram: cannot reach the Bot API" in out
    assert "pr0xy-secret" not in out


async def test_a_postgresql_store_is_checked_without_being_changed(
    tmp_path: Path, sim: SimRelay, tg: FakeTelegram, dc: FakeDiscord, postgres_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncpg

    from bot.store.postgres.migrations import SCHEMA_VERSION as PG_VERSION

    path = _config(tmp_path, sim, tg, dc, storage=f'url = "{postgres_url}"')
    await _synced(path)
    code, out = await _check(path, capsys)
    assert code == 0, out
    assert f"schema v0 is migrated to v{PG_VERSION} on the next start" in out
    conn = await asyncpg.connect(postgres_url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    finally:
        await conn.close()
    assert tables == [], "the write probe was rolled back, and nothing was migrated"

    path = _config(tmp_path, sim, tg, dc, storage='url = "postgresql://nobody@127.0.0.1:1/x"')
    code, out = await _check(path, capsys)
    assert code == 1
    assert "FAIL store: cannot connect to PostgreSQL" in out
    assert "fix: check [storage] url / url_env" in out
