"""External services for tests: skip when absent, fail under TOKENPATROL_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def required() -> bool:
    return os.environ.get("TOKENPATROL_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when CI demands every service."""
    if required():
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


POSTGRES_URL = os.environ.get(
    "TOKENPATROL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TOKENPATROL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> str:
    """The test Redis URL, after a ping (skip, or fail under REQUIRE_SERVICES, without it)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {REDIS_URL} unreachable: {error}")
    return REDIS_URL
