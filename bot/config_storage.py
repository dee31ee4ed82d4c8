"""The ``[storage]`` section: where the bot's durable state lives.

SQLite (one file, ``path``) unless ``url`` names a PostgreSQL database, which several bot
processes may share. The URL may hold a password, so it is a :class:`Secret` and only
:func:`url_without_secrets` of it is ever shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

from bot.config_reader import Secret, SectionReader

SqliteSynchronous = Literal["normal", "full"]
SQLITE_SYNCHRONOUS: Final[tuple[SqliteSynchronous, ...]] = ("normal", "full")


@dataclass(frozen=True, slots=True)
class StorageConfig:
    path: Path = Path("relaybot.sqlite3")  # SQLite file, used when ``url`` is None
    url: Secret | None = None  # postgresql://...: may hold a password, hence a Secret
    pool_size: int = 10  # PostgreSQL connections this process may open
    # SQLite ``PRAGMA synchronous`` under WAL: "normal" does not wait for the disk at each
    # commit (a power loss may drop the last commits; a crash of the process loses nothing),
    # "full" waits for an fsync at every commit.
    sqlite_synchronous: SqliteSynchronous = "normal"

    def describe(self) -> str:
        """Where the data lives, without any password: safe for logs and ``check``."""
        if self.url is None:
            return f"SQLite {self.path}"
        return f"PostgreSQL {url_without_secrets(self.url.reveal())}"


def url_without_secrets(url: str) -> str:
    """A database URL without its password and query (which may carry one)."""
    parts = urlsplit(url)
    credentials, _, host = parts.netloc.rpartition("@")
    user = credentials.partition(":")[0]
    return f"{parts.scheme}://{user + '@' if user else ''}{host}{parts.path}"


_POSTGRES_SCHEMES: Final = ("postgresql", "postgres")


def read_storage(s: SectionReader) -> StorageConfig:
    path = s.string("path", "relaybot.sqlite3")
    url = s.optional_secret("url")
    pool_size = int(s.number("pool_size", 10, minimum=1, maximum=1000))
    synchronous = s.choice("sqlite_synchronous", "normal", SQLITE_SYNCHRONOUS)
    if url is not None:
        if s.given("path"):
            s.problem("url", "give either path (SQLite) or url (PostgreSQL), not both")
        if urlsplit(url).scheme not in _POSTGRES_SCHEMES:
            # Never echo the URL: it may hold a password.
            s.problem("url", "must be a postgresql://user@host/database URL")
    s.finish()
    return StorageConfig(
        path=Path(path or "relaybot.sqlite3"),
        url=Secret(url) if url is not None else None,
        pool_size=pool_size,
        sqlite_synchronous="full" if synchronous == "full" else "normal",
    )
