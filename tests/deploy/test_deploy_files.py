"""The deployment kit, read as Docker, Compose and systemd would read it (no image is
built here): what an operator relies on is in each file, and every path it names exists."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in (raw.strip() for raw in joined.splitlines())
        if line and not line.startswith("#")
    ]


def test_dockerfile_runs_relaybot_as_a_non_root_user_with_the_store_on_a_volume() -> None:
    steps = _dockerfile()
    [base] = [args for op, args in steps if op == "FROM"]
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base), base
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    user_at = max(i for i, (op, _) in enumerate(steps) if op == "USER")
    cmd_at = max(i for i, (op, _) in enumerate(steps) if op == "CMD")
    assert user_at < cmd_at, "the bot process runs as that user"
    volumes = [args for op, args in steps if op == "VOLUME"]
    assert volumes and '"/data"' in volumes[0]
    workdirs = [args for op, args in steps if op == "WORKDIR"]
    assert workdirs[-1] == "/data", "the default relative storage.path lands on the volume"
    [health] = [args for op, args in steps if op == "HEALTHCHECK"]
    assert '["relaybot", "check", "--offline"]' in health
    [cmd] = [args for op, args in steps if op == "CMD"]
    assert cmd == '["relaybot", "run"]'
    for op, args in steps:
        if op == "COPY":
            *sources, _dest = shlex.split(args)
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_compose_builds_the_dockerfile_and_keeps_data_and_secrets_outside() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert "dockerfile: deploy/Dockerfile" in text and "context: .." in text
    assert "relaybot-data:/data" in text and re.search(r"^volumes:\n  relaybot-data:", text,
                                                      re.MULTILINE)
    assert "./config.toml:/config/config.toml:ro" in text
    assert "env_file:" in text and "relaybot.env" in text
    assert "restart: unless-stopped" in text
    assert '"127.0.0.1:9108:9108"' in text, "metrics are published on localhost only"
    assert "sk-" not in text and "TOKEN=" not in text.replace("TOKEN=…", "")


def test_systemd_unit_runs_the_bot_unprivileged_and_checks_the_config_first() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "relaybot.service", encoding="utf-8")
    service = unit["Service"]
    assert service["User"] == "relaybot"
    assert service["ExecStart"].endswith("relaybot run")
    assert service["ExecStartPre"].endswith("relaybot check --offline")
    assert service["Environment"] == "RELAYBOT_CONFIG=/etc/relaybot/config.toml"
    assert service["WorkingDirectory"] == "/var/lib/relaybot"
    assert service["StateDirectory"] == "relaybot"
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_install_steps_create_the_config_folder_before_filling_it() -> None:
    steps = [line.removeprefix("#").strip() for line in
             (DEPLOY / "relaybot.service").read_text(encoding="utf-8").splitlines()
             if line.startswith("#   sudo ")]
    made = [i for i, step in enumerate(steps) if re.search(r"install -d\b.* /etc/relaybot$", step)]
    filled = [i for i, step in enumerate(steps) if step.endswith(" /etc/relaybot/")]
    assert filled, steps
    assert made and made[0] < filled[0], "install into a folder that does not exist fails"


def test_license_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 relaybot contributors" in text


def test_scale_compose_has_one_telegram_receiver_and_shard_ranges_all_tracking_jobs() -> None:
    from bot.cli import _build_parser

    text = (DEPLOY / "compose.scale.yaml").read_text(encoding="utf-8")
    commands = [json.loads(line) for line in re.findall(r"^\s+command: (\[.*\])$", text, re.M)]
    assert len(commands) == 3
    parsed = [_build_parser().parse_args(command[1:]) for command in commands]
    assert all(command[0] == "relaybot" and args.handler.__name__ == "cmd_run"
               for command, args in zip(commands, parsed, strict=True))
    roles = [set(args.only) for args in parsed]
    assert all("jobs" in r for r in roles), "every process tracks jobs"
    assert sum("telegram" in r for r in roles) == 1, "exactly one Telegram receiver"
    shard_ranges = [args.shard_ids for args in parsed if "discord" in set(args.only)]
    assert sorted(shard for ids in shard_ranges for shard in ids) == [0, 1, 2, 3]
    assert "shard_count = 4" in text
    assert "dockerfile: deploy/Dockerfile" in text and "context: .." in text
    assert "./config.toml:/config/config.toml:ro" in text and "relaybot.env" in text
    ports = re.findall(r'"(127\.0\.0\.1:\d+):9108"', text)
    assert len(ports) == 3 == len(set(ports)), "each process's metrics on its own local port"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "deploy/compose.scale.yaml" in readme
