"""Redis stops under a running service: it keeps answering (fail open, limits counted in each
process's memory), says so in its log and in /ready, and goes back to Redis when it returns.

The Redis that goes down is a private one this test starts (the machine's own serves everything
else running here)."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.gunicorn import running_gunicorn
from tests.support.private_servers import private_redis

LIMITS = {"TOKENPATROL_RATE_LIMITS": "read=1000/hour,write=2000/hour,admin=5000/hour"}


def test_service_fails_open_while_redis_is_down_and_recovers(
    postgres_url: str, tmp_path: Path
) -> None:
    with private_redis(tmp_path / "redis") as redis_server:
        env = {"TOKENPATROL_RATELIMIT_STORAGE_URI": redis_server.url, **LIMITS}
        with running_gunicorn(postgres_url, tmp_path / "svc", workers=1, **env) as server:
            key = Api(base_url=server.url).create_account(ROOT_KEY, "acme", "alice")
            check = f"{server.url}/auth/check"
            headers = {"Authorization": f"Bearer {key}"}
            first = requests.get(check, headers=headers, timeout=10)
            assert first.status_code == 200 and first.headers["X-RateLimit-Limit"] == "5000"
            assert requests.get(f"{server.url}/ready", timeout=10).json()["status"] == "ready"

            redis_server.shutdown()
            during = [requests.get(check, headers=headers, timeout=10) for _ in range(5)]
            assert [r.status_code for r in during] == [200] * 5
            ready = requests.get(f"{server.url}/ready", timeout=10)
            assert ready.status_code == 200 and ready.json()["status"] == "degraded"
            assert "unreachable" in ready.json()["rateLimitStorage"]
            log = server.log_text()
            assert "counting in this process's memory, trying Redis again in 1 s" in log
            assert "rate-limit storage unreachable" in log

    with private_redis(tmp_path / "redis", port=redis_server.port) as back:
        env = {"TOKENPATROL_RATELIMIT_STORAGE_URI": back.url, **LIMITS}
        with running_gunicorn(postgres_url, tmp_path / "svc2", workers=1, **env) as server:
            assert requests.get(f"{server.url}/ready", timeout=10).json()["status"] == "ready"
