"""A fresh PostgreSQL schema per test, on the cluster named by RELAYBOT_TEST_POSTGRES_URL.

``.ci/postgres.sh start DIR`` starts a throwaway cluster and prints the variable; .ci/run does
that. Without it the PostgreSQL tests are skipped with the reason (``pytest -ra`` lists it),
except under CI (``CI=true``), where a missing database is a failure, not a skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest

URL_ENV = "RELAYBOT_TEST_POSTGRES_URL"


def _base_url() -> str:
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        return url
    reason = f"PostgreSQL tests need {URL_ENV} (see .ci/postgres.sh to start a cluster)"
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"CI must run the PostgreSQL tests: {reason}", pytrace=False)
    pytest.skip(reason)


def with_search_path(url: str, schema: str) -> str:
    # asyncpg passes unknown URL query parameters on as server settings.
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """The URL of an empty schema of its own (``search_path``), dropped after the test."""
    base = _base_url()
    schema = f"test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield with_search_path(base, schema)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()
