"""Config loading: what an operator sees for good and bad files."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config, resolve_config_path
from bot.config_community import COST_KEYS
from bot.runtime import instance_name

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """
[relay]
base_url = "http://127.0.0.1:8099/"
api_key = "sk-direct-key-123"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_documented_defaults(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, MINIMAL), env={})
    assert config.relay.base_url == "http://127.0.0.1:8099"
    assert config.relay.api_key.reveal() == "sk-direct-key-123"
    assert config.relay.timeout_s == 60.0
    assert config.relay.mj_mode == "fast"
    assert config.telegram is None and config.discord is None
    assert config.storage.path == Path("relaybot.sqlite3")
    assert "gemini-pro" in config.models.chat_choices
    assert config.bot.edit_interval_s == 1.0


def test_example_config_is_valid_and_uses_env_indirection() -> None:
    env = {"RELAY_API_KEY": "sk-from-env", "TELEGRAM_BOT_TOKEN": "123:abc", "DISCORD_TOKEN": "d"}
    config = load_config(ROOT / "config.example.toml", env=env)
    assert config.relay.api_key.reveal() == "sk-from-env"
    assert config.telegram is not None
    assert config.telegram.token.reveal() == "123:abc"
    assert config.telegram.base_url == "https://api.telegram.org/bot"
    assert config.discord is not None and config.discord.guild_ids == ()
    assert config.discord.thread_per_conversation is False
    assert any(m.startswith("gpt-4-gizmo-") for m in config.models.chat_choices)
    assert {"gemini-pro", "gpt-4-all"} <= set(config.models.chat_choices)
    assert set(config.secrets()) == {"sk-from-env", "123:abc", "d"}


def test_every_problem_is_reported_together_with_its_key(tmp_path: Path) -> None:
    text = """
[relay]
bse_url = "typo"
api_key_env = "MISSING_VAR"
timeout_s = "soon"
poll_interval_s = 0
mj_mode = "slow"

[discord]
token = "t"
guild_ids = ["abc"]
gateway_url = "http://not-a-websocket"
thread_per_conversation = "yes"

[models]
chat = "not-offered"

[mystery]
"""
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text), env={})
    problems = caught.value.problems
    expected = [
        "relay.base_url: missing",
        "relay.api_key_env: environment variable MISSING_VAR is not set",
        "relay.timeout_s: must be a number",
        "relay.poll_interval_s: must be between",
        "relay.mj_mode: must be one of 'fast', 'relax', 'turbo'",
        "relay.bse_url: unknown key",
        "discord.guild_ids: must be a list of positive integers",
        "discord.gateway_url: must be a URL starting with ws:// or wss://",
        "discord.thread_per_conversation: must be true or false",
        "models.chat: 'not-offered' must be one of models.chat_choices",
        "mystery: unknown section",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected)


def test_missing_relay_section_and_conflicting_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"telegram": {"token": "x", "token_env": "Y"}}, env={"Y": "y"})
    assert caught.value.problems == [
        "relay: missing section [relay]",
        "telegram.token: give either token or token_env, not both",
    ]


def test_unreadable_files_are_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as missing:
        load_config(tmp_path / "nope.toml", env={})
    assert "file not found" in missing.value.problems[0]
    with pytest.raises(ConfigError) as broken:
        load_config(_write(tmp_path, "[relay\nbase_url="), env={})
    assert "not valid TOML" in broken.value.problems[0]


def test_secrets_never_show_in_repr(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, MINIMAL), env={})
    assert "sk-direct-key-123" not in repr(config)
    assert "sk-direct-key-123" not in str(config.relay)


def test_config_path_precedence() -> None:
    assert resolve_config_path("a.toml", {"RELAYBOT_CONFIG": "b.toml"}) == Path("a.toml")
    assert resolve_config_path(None, {"RELAYBOT_CONFIG": "b.toml"}) == Path("b.toml")
    assert resolve_config_path(None, {}) == Path("config.toml")


def test_sections_are_frozen(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, MINIMAL), env={})
    with pytest.raises(AttributeError):
        config.relay.timeout_s = 5  # type: ignore[misc]


def test_telegram_webhook_settings(tmp_path: Path) -> None:
    text = MINIMAL + """
[telegram]
token = "1:abc"
webhook_url = "https://bot.example.com/tg"
webhook_listen = "0.0.0.0:9000"
webhook_secret_env = "HOOK_SECRET"
"""
    config = load_config(_write(tmp_path, text), env={"HOOK_SECRET": "s3cr3t-token"})
    telegram = config.telegram
    assert telegram is not None
    assert telegram.webhook_url == "https://bot.example.com/tg"
    assert (telegram.webhook_listen_host, telegram.webhook_listen_port) == ("0.0.0.0", 9000)
    assert telegram.webhook_path == "/telegram"
    assert telegram.webhook_secret is not None
    assert "s3cr3t-token" in config.secrets()

    polling = load_config(_write(tmp_path, MINIMAL + '[telegram]\ntoken = "1:abc"\n'), env={})
    assert polling.telegram is not None and polling.telegram.webhook_url is None


def test_bad_webhook_settings_are_reported(tmp_path: Path) -> None:
    text = MINIMAL + """
[telegram]
token = "1:abc"
webhook_url = "http://insecure.example.com"
webhook_listen = "no-port"
webhook_path = "tg"
"""
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text), env={})
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "telegram.webhook_url",
        "telegram.webhook_listen",
        "telegram.webhook_path",
    ]


def test_storage_url_selects_postgresql_and_keeps_its_password_secret(tmp_path: Path) -> None:
    url = "postgresql://bot:s3cret-pw@db.internal:5433/relaybot"
    text = MINIMAL + '[storage]\nurl_env = "RELAYBOT_DB"\npool_size = 4\n'
    config = load_config(_write(tmp_path, text), env={"RELAYBOT_DB": url})

    assert config.storage.url is not None and config.storage.url.reveal() == url
    assert config.storage.pool_size == 4
    assert config.storage.describe() == "PostgreSQL postgresql://bot@db.internal:5433/relaybot"
    assert "s3cret-pw" not in repr(config)
    assert {url, "s3cret-pw"} <= set(config.secrets())

    sqlite = load_config(_write(tmp_path, MINIMAL + '[storage]\npath = "x.db"\n'), env={})
    assert sqlite.storage.url is None and sqlite.storage.describe() == "SQLite x.db"
    assert sqlite.storage.sqlite_synchronous == "normal"


def test_sqlite_synchronous_is_normal_or_full(tmp_path: Path) -> None:
    full = MINIMAL + '[storage]\nsqlite_synchronous = "FULL"\n'
    assert load_config(_write(tmp_path, full), env={}).storage.sqlite_synchronous == "full"

    with pytest.raises(ConfigError) as raised:
        load_config(_write(tmp_path, MINIMAL + '[storage]\nsqlite_synchronous = "off"\n'), env={})
    assert [p.split(":")[0] for p in raised.value.problems] == ["storage.sqlite_synchronous"]


def test_bad_storage_settings_are_reported_without_the_url(tmp_path: Path) -> None:
    text = MINIMAL + '[storage]\npath = "x.db"\nurl = "mysql://u:hidden-pw@h/db"\npool_size = 0\n'
    with pytest.raises(ConfigError) as raised:
        load_config(_write(tmp_path, text), env={})

    problems = raised.value.problems
    assert any(p.startswith("storage.url: give either path") for p in problems)
    assert any(p.startswith("storage.url: must be a postgresql://") for p in problems)
    assert any(p.startswith("storage.pool_size:") for p in problems)
    assert "hidden-pw" not in "\n".join(problems)


def test_input_bounds_and_media_hosts_are_read_and_checked(tmp_path: Path) -> None:
    text = """
[relay]
base_url = "http://relay.internal:3000"
api_key = "sk-x"
max_response_mb = 4
media_hosts = ["media.internal:9000", "[fd00::5]", "cdn.internal"]

[bot]
max_answer_chars = 5000
"""
    config = load_config(_write(tmp_path, text), env={})
    assert config.relay.max_response_mb == 4
    assert config.relay.media_hosts == ("media.internal:9000", "[fd00::5]", "cdn.internal")
    assert config.bot.max_answer_chars == 5000
    defaults = load_config(_write(tmp_path, '[relay]\nbase_url = "http://r"\napi_key = "k"\n'))
    assert defaults.relay.max_response_mb == 16 and defaults.relay.media_hosts == ()
    assert defaults.bot.max_answer_chars == 20_000
    bad = """
[relay]
base_url = "http://r"
api_key = "k"
max_response_mb = 0
media_hosts = ["http://media.internal/"]

[bot]
max_answer_chars = 10
"""
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, bad), env={})
    problems = "\n".join(caught.value.problems)
    assert "relay.max_response_mb" in problems and "bot.max_answer_chars" in problems
    assert "relay.media_hosts: 'http://media.internal/' is not host or host:port" in problems


def test_the_example_documents_every_cost_and_the_community_sections() -> None:
    env = {"RELAY_API_KEY": "k", "TELEGRAM_BOT_TOKEN": "1:a", "DISCORD_TOKEN": "d"}
    config = load_config(ROOT / "config.example.toml", env=env)
    assert set(config.credits.cost) == set(COST_KEYS)
    assert config.credits.price("mj_imagine") == 8 and not config.credits.enabled
    assert config.access.private_chats and config.access.admins == frozenset()
    assert (config.limits.concurrent_jobs, config.limits.relay_concurrency) == (3, 32)


def test_access_and_credits_problems_name_their_keys() -> None:
    raw = {
        "relay": {"base_url": "http://relay", "api_key": "k"},
        "access": {"admins": ["alice"], "users": ["discord:role:1"],
                   "only": {"videos": ["telegram:1"], "music": ["discord:role:55"]}},
        "credits": {"daily": -1, "cost": {"dale": 3}},
        "limits": {"relay_concurrency": 0},
    }
    with pytest.raises(ConfigError) as refused:
        parse_config(raw, {})
    problems = "\n".join(refused.value.problems)
    for key in ("access.admins: not an identity: 'alice'", "access.users: not an identity",
                "access.only.videos: unknown capability", "credits.daily:",
                "credits.cost.dale: unknown cost", "limits.relay_concurrency:"):
        assert key in problems
    assert "access.only.music" not in problems  # roles are fine there


def test_scale_out_settings(tmp_path: Path) -> None:
    text = MINIMAL + """
[telegram]
token = "123:abc"
receive = false

[discord]
token = "d"
shard_ids = [3, 2]
shard_count = 4

[jobs]
lease_s = 30
"""
    config = load_config(_write(tmp_path, text), env={})
    assert config.telegram is not None and config.telegram.receive is False
    assert config.discord is not None and config.discord.receive is True
    assert (config.discord.shard_ids, config.discord.shard_count) == ((2, 3), 4)
    assert config.jobs.lease_s == 30.0
    defaults = load_config(_write(tmp_path, MINIMAL + '[discord]\ntoken = "d"\n'), env={})
    assert defaults.jobs.lease_s == 300.0
    assert defaults.discord is not None and not defaults.discord.sharded


@pytest.mark.parametrize(
    ("discord", "problem"),
    [
        ("shard_ids = [0, 1]", "discord.shard_ids: needs shard_count"),
        ("shard_ids = [0, 4]\nshard_count = 4", "discord.shard_ids: shards are numbered 0 to 3"),
        ("shard_ids = [1, 1]\nshard_count = 4", "discord.shard_ids: names a shard twice"),
        ("shard_ids = [-1]\nshard_count = 4", "discord.shard_ids: must be a non-empty list"),
        ("shard_ids = []\nshard_count = 4", "discord.shard_ids: must be a non-empty list"),
        ("shard_count = 0", "discord.shard_count: must be between 1"),
        ("shard_count = 2\nreceive = false", "discord.shard_count: shards only apply"),
    ],
)
def test_bad_shard_settings_are_reported(tmp_path: Path, discord: str, problem: str) -> None:
    text = MINIMAL + f'[discord]\ntoken = "d"\n{discord}\n'
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text), env={})
    [reported] = caught.value.problems
    assert reported.startswith(problem), reported


def test_a_lease_too_short_to_poll_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, MINIMAL + "[jobs]\nlease_s = 0.5\n"), env={})
    assert caught.value.problems == ["jobs.lease_s: must be between 1 and 86400"]


def test_instance_name_names_the_process_and_defaults_to_host_and_store(
    tmp_path: Path,
) -> None:
    """Stable across restarts (a restart takes over its own work); distinct per database."""
    default = load_config(_write(tmp_path, MINIMAL), env={})
    assert default.bot.instance_name == ""
    derived = instance_name(default)
    assert derived.startswith(socket.gethostname() + ":") and derived.endswith("relaybot.sqlite3")
    assert instance_name(load_config(_write(tmp_path, MINIMAL), env={})) == derived
    named = load_config(_write(tmp_path, MINIMAL + '\n[bot]\ninstance_name = "art-1"\n'), env={})
    assert instance_name(named) == "art-1"
    url = "postgresql://bot:s3cret-pw@db.internal:5433/relaybot"
    shared = load_config(_write(tmp_path, MINIMAL + f'[storage]\nurl = "{url}"\n'), env={})
    assert instance_name(shared).endswith("db.internal:5433/relaybot")
    assert "s3cret-pw" not in instance_name(shared), "the identity is stored: no password"
