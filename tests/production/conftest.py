"""Production-shaped tests: always PostgreSQL and Redis (whatever database the suite runs on)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import databases
from tests.support.services import POSTGRES_URL, require_redis


@pytest.fixture(scope="session")
def postgres_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[databases.PostgresDatabases]:
    factory = databases.PostgresDatabases(POSTGRES_URL, tmp_path_factory.mktemp("pg-template"))
    yield factory
    factory.close()


@pytest.fixture
def postgres_url(postgres_factory: databases.PostgresDatabases, tmp_path: Path) -> Iterator[str]:
    with postgres_factory.fresh(tmp_path) as url:
        yield url


@pytest.fixture
def redis_env() -> dict[str, str]:
    """Rate limits in Redis, under a key prefix of this test's own."""
    return {
        "TOKENPATROL_RATELIMIT_STORAGE_URI": require_redis(),
        "TOKENPATROL_RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
    }
