"""The relaybot command as a user runs it: a real subprocess, real exit codes."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

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
def _config_with_storage(folder: Path, database: Path) -> Path:
    """A config that would start (a Telegram token that is never used: the store opens
    first) with the database at ``database``. ``check --offline`` reaches no server."""
    config = folder / "storage.toml"
    config.write_text(
        '[relay]\nbase_url = "http://127.0.0.1:1"\napi_key = "sk-x"\n'
        '[telegram]\ntoken = "123:never-contacted"\n'
        f'[storage]\npath = "{database}"\n'
    )
    return config


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_a_database_in_a_missing_directory_is_one_line_for_check_run_and_console(
    tmp_path: Path,
) -> None:
    database = tmp_path / "no-such-dir" / "bot.sqlite3"
    config = _config_with_storage(tmp_path, database)
    for command in (("check", "--offline"), ("run",), ("console",)):
        result = _relaybot(*command, "--config", str(config), cwd=tmp_path)
        assert result.returncode == 1
        line = _one_line(result.stderr)
        assert line == (f"relaybot: storage.path {database}: folder {database.parent} does "
                        f"not exist; create it (mkdir -p {database.parent}) or change "
                        "storage.path")


def test_a_file_that_is_not_sqlite_is_one_line_for_check_run_and_console(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    database.write_bytes(b"these are not the bytes of a database\n" * 200)
    config = _config_with_storage(tmp_path, database)
    for command in (("check", "--offline"), ("run",), ("console",)):
        result = _relaybot(*command, "--config", str(config), cwd=tmp_path)
        assert result.returncode == 1
        line = _one_line(result.stderr)
        assert line.startswith(f"relaybot: storage.path {database}: {database} is not a "
                               "usable SQLite database (file is not a database)")
    assert database.read_bytes().startswith(b"these are not")  # left as it was


def test_a_read_only_database_is_one_line_for_check_and_run(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    sqlite3.connect(database).close()  # an empty, valid database file
    config = _config_with_storage(tmp_path, database)
    # Root writes whatever the permission bits say: it needs the immutable attribute.
    as_root = os.geteuid() == 0
    if as_root:
        if subprocess.run(["chattr", "+i", str(database)], check=False).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i")
    else:
        database.chmod(0o444)
    try:
        for command in (("check", "--offline"), ("run",)):
            result = _relaybot(*command, "--config", str(config), cwd=tmp_path)
            assert result.returncode == 1
            line = _one_line(result.stderr)
            assert line.startswith(f"relaybot: storage.path {database}: ")
            assert "is not writable" in line
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(database)], check=True)


def test_run_with_impossible_roles_or_shards_says_why(tmp_path: Path) -> None:
    config = tmp_path / "ok.toml"
    config.write_text(
        '[relay]\nbase_url = "http://127.0.0.1:1"\napi_key = "sk-x"\n'
        '[telegram]\ntoken = "123:abc"\n'
    )
    for args, expected, code in [
        (["--only", "discord,jobs"], "--only discord: the configuration has no [discord]", 1),
        (["--only", "jobs,slack"], "unknown role slack", 1),
        (["--shard-ids", "0,1"], "--shard-ids needs [discord] shard_count", 1),
        (["--shard-ids", "zero"], "shard numbers, e.g. 0,1", 2),
    ]:
        result = _relaybot("run", "--config", str(config), *args, cwd=tmp_path)
        assert result.returncode == code, (args, result.stderr)
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
