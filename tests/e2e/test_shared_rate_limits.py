"""Two real server processes on one database: Redis makes their rate limit one budget."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.live_server import running_server
from tests.support.services import require_redis

LIMITS = "read=3/hour,write=5/hour,admin=100/hour"


def _alternate(storage: str, database_url: str, tmp_path: Path) -> list[int]:
    """Six /auth/check calls with one read token, alternating between two servers."""
    env = {
        "TOKENPATROL_RATELIMIT_STORAGE_URI": storage,
        "TOKENPATROL_RATE_LIMITS": LIMITS,
        "TOKENPATROL_RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
    }
    with (
        running_server(database_url, tmp_path / "one", **env) as one,
        running_server(database_url, tmp_path / "two", **env) as two,
    ):
        first, second = Api(base_url=one.url), Api(base_url=two.url)
        key = first.create_account(ROOT_KEY, "acme", "alice")
        token = second.create_token(key, "api-tokens", scope="read")["token"]
        return [(first, second)[i % 2].call("GET", "/auth/check", token).status for i in range(6)]


@pytest.fixture
def workdirs(tmp_path: Path) -> Path:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    return tmp_path


def test_redis_makes_two_processes_share_one_budget(database_url: str, workdirs: Path) -> None:
    redis_url = require_redis()
    assert _alternate(redis_url, database_url, workdirs) == [200, 200, 200, 429, 429, 429]


def test_in_memory_storage_gives_each_process_its_own_budget(
    database_url: str, workdirs: Path
) -> None:
    # The control: without shared storage each process counts alone (why production needs Redis).
    assert _alternate("memory://", database_url, workdirs) == [200] * 6
