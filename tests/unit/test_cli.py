"""The relaybot command as a user runs it: a real subprocess, real exit codes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _relaybot(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> (
    subprocess.CompletedProcess[str]
):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY")}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_help_lists_every_subcommand() -> None:
    result = _relaybot("--help")
    assert result.returncode == 0
    for name in ("run", "console", "demo", "sim-relay", "check", "migrate-store"):
        assert name in result.stdout


def test_bad_config_lists_problems_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[relay]\napi_key_env = "NOT_SET_ANYWHERE"\nmj_mode = "x"\n')
    result = _relaybot("check", "--config", str(config))
    assert result.returncode == 1
    assert "relay.base_url: missing" in result.stderr
    assert "relay.api_key_env: environment variable NOT_SET_ANYWHERE is not set" in result.stderr
    assert "relay.mj_mode" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_default_config_is_reported(tmp_path: Path) -> None:
    result = _relaybot("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "config.toml: file not found" in result.stderr


def test_check_reads_relaybot_config_env_and_hides_the_key(tmp_path: Path) -> None:
    config = tmp_path / "ok.toml"
    config.write_text('[relay]\nbase_url = "http://127.0.0.1:1"\napi_key_env = "K"\n')
    result = _relaybot(
        "check", "--offline", env={"RELAYBOT_CONFIG": str(config), "K": "sk-secret-value-42"}
    )
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout
    assert "storage: SQLite relaybot.sqlite3" in result.stdout
    assert "sk-secret-value-42" not in result.stdout + result.stderr


def test_run_without_a_platform_says_what_to_add(tmp_path: Path) -> None:
    config = tmp_path / "ok.toml"
    config.write_text('[relay]\nbase_url = "http://127.0.0.1:1"\napi_key = "sk-x"\n')
    result = _relaybot("run", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert "no platform configured" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "relaybot.sqlite3").exists()


def test_run_with_an_unreachable_database_says_so_without_the_password(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "pg.toml"
    config.write_text(
        '[relay]\nbase_url = "http://127.0.0.1:1"\napi_key = "sk-x"\n'
        '[telegram]\ntoken = "123:abc"\n'
        '[storage]\nurl_env = "DB_URL"\n'
    )
    db_url = f"postgresql://bot:pw-never-shown@127.0.0.1:{port}/relaybot"
    result = _relaybot("run", "--config", str(config), env={"DB_URL": db_url}, cwd=tmp_path)
    assert result.returncode == 1
    assert f"cannot connect to PostgreSQL postgresql://bot@127.0.0.1:{port}/relaybot" in (
        result.stderr
    )
    assert "pw-never-shown" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_store_without_a_target_says_what_to_give(tmp_path: Path) -> None:
    config = tmp_path / "ok.toml"
    config.write_text('[relay]\nbase_url = "http://127.0.0.1:1"\napi_key = "sk-x"\n')
    result = _relaybot("migrate-store", "--from", "x.sqlite3", "--config", str(config))
    assert result.returncode == 2
    assert "needs --to postgresql://" in result.stderr


def test_platform_libraries_load_only_for_configured_platforms() -> None:
    """The App's platform table imports an adapter package when that platform starts, so a
    Telegram-only bot never loads discord.py (and a Discord-only one never loads PTB)."""
    code = (
        "import sys, bot.app, bot.cli, bot.console\n"
        "print(sorted(m for m in ('discord', 'telegram') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
