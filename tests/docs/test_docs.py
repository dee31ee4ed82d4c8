"""The repository documents itself: the relay contract and its samples are inside it,
every configuration key is explained in the README, and no doc points outside."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.store.sqlite import open_sqlite_store

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "bot" / "sim" / "samples"
DOCS = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_sample_the_relay_contract_names_is_in_the_repository() -> None:
    text = (ROOT / "docs" / "RELAY_API.md").read_text(encoding="utf-8")
    named = set(re.findall(r"bot/sim/samples/([\w.-]+)", text))
    assert len(named) >= 30
    # §12 lists the main samples by bare name (patterns like error_*.json aside).
    payloads = text.split("## 12. Sample payloads", 1)[1]
    named |= set(re.findall(r"`([a-z0-9_]+\.(?:json|txt))`", payloads))
    missing = sorted(name for name in named if not (SAMPLES / name).is_file())
    assert missing == []
    assert "`samples/" not in text, "every sample reference points at bot/sim/samples/"


def test_docs_reference_nothing_outside_the_repository() -> None:
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert not re.search(r"(?<![.\w])\.\./", text), f"{doc.name} points outside the repository"
        assert "shared/DESIGN" not in text and "shared/api" not in text, doc.name
        assert "/work/" not in text, doc.name
        assert not re.search(r"\b[Ii]ssues? #?\d+", text), f"{doc.name} names an issue number"


def _example_keys() -> set[tuple[str, str]]:
    """(section, key) for every key in config.example.toml, commented-out ones included."""
    keys: set[tuple[str, str]] = set()
    section = ""
    for line in (ROOT / "config.example.toml").read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^\[(\w+)\]", line):
            section = match.group(1)
        elif match := re.match(r"^#? ?([a-z_]+) = ", line):
            keys.add((section, match.group(1)))
    return keys


def test_readme_documents_every_configuration_key() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    keys = _example_keys()
    assert ("network", "trust_env") in keys and ("metrics", "listen") in keys
    undocumented = sorted(
        f"{section}.{key}" for section, key in keys
        if f"`{key}`" not in readme and f"{key} =" not in readme and f"] {key}`" not in readme
    )
    assert undocumented == []


async def test_security_md_says_how_long_every_table_of_the_store_is_kept(
    tmp_path: Path,
) -> None:
    store = await open_sqlite_store(tmp_path / "schema.sqlite3")
    await store.close()
    with closing(sqlite3.connect(tmp_path / "schema.sqlite3")) as db:
        created = {name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    assert {"messages", "credit_ledger", "leases"} <= created
    security = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(\w+)` \|", security, flags=re.MULTILINE))
    assert sorted(created - rows) == [], "a table of the store missing from SECURITY.md"
    assert sorted(rows - created) == [], "SECURITY.md names a table the store does not have"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(SECURITY.md)" in readme


def test_readme_states_the_python_version_and_the_console_syntax() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Python 3.11 or newer" in readme and "venv" in readme
    assert "file:PATH" in readme and "!press LABEL" in readme
    assert (ROOT / "LICENSE").is_file()


def test_each_doc_has_each_heading_once() -> None:
    for doc in DOCS:
        headings = re.findall(r"^#+ .+$", doc.read_text(encoding="utf-8"), flags=re.MULTILINE)
        repeated = sorted({h for h in headings if headings.count(h) > 1})
        assert repeated == [], f"{doc.name} has two sections {repeated}"
