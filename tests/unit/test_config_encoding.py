"""Review findings in configuration loading: every problem is a ConfigError, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config

_BODY = '[relay]\nbase_url = "http://127.0.0.1:9"\napi_key = "sk-reviewkey1234"\n'


def test_a_config_saved_with_a_utf8_bom_loads(tmp_path: Path) -> None:
    # Windows Notepad writes a BOM; tomllib then refused line 1 ("Invalid statement").
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + _BODY.encode())
    config = load_config(path, env={})
    assert config.relay.base_url == "http://127.0.0.1:9"


def test_a_config_that_is_not_utf8_is_one_clear_problem(tmp_path: Path) -> None:
    # Used to escape as a UnicodeDecodeError traceback instead of a reported problem.
    path = tmp_path / "config.toml"
    path.write_bytes(_BODY.replace("reviewkey", "review\u00e9key").encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    (problem,) = caught.value.problems
    assert "UTF-8" in problem
    assert "review" not in problem  # nothing of the file's content, which holds secrets
