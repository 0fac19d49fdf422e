"""Redis stops under a running service: it keeps answering (fail open, limits counted in each
process's memory), says so in its log and in /ready, and goes back to Redis when it returns."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.gunicorn import running_gunicorn
from tests.support.live_server import free_port
from tests.support.services import unavailable


@contextmanager
def private_redis(port: int, workdir: Path) -> Iterator[None]:
    """A redis-server of this test's own, so stopping it disturbs nothing else."""
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if (
                subprocess.run(
                    ["redis-cli", "-p", str(port), "ping"], capture_output=True, check=False
                ).stdout.strip()
                == b"PONG"
            ):
                break
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_service_fails_open_while_redis_is_down_and_recovers(
    postgres_url: str, tmp_path: Path
) -> None:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is needed to run a private Redis")
    port = free_port()
    env = {
        "TOKENPATROL_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{port}/0",
        "TOKENPATROL_RATE_LIMITS": "read=1000/hour,write=2000/hour,admin=5000/hour",
    }
    with (
        private_redis(port, tmp_path),
        running_gunicorn(postgres_url, tmp_path / "svc", workers=1, **env) as server,
    ):
        key = Api(base_url=server.url).create_account(ROOT_KEY, "acme", "alice")
        check = f"{server.url}/auth/check"
        headers = {"Authorization": f"Bearer {key}"}
        first = requests.get(check, headers=headers, timeout=10)
        assert first.status_code == 200 and first.headers["X-RateLimit-Limit"] == "5000"
        assert requests.get(f"{server.url}/ready", timeout=10).json()["status"] == "ready"

        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False)
        during = [requests.get(check, headers=headers, timeout=10) for _ in range(5)]
        assert [r.status_code for r in during] == [200] * 5
        ready = requests.get(f"{server.url}/ready", timeout=10)
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
        assert "unreachable" in ready.json()["rateLimitStorage"]
        log = server.log_text()
        assert "Rate limit storage unreachable - falling back to in-memory storage" in log
        assert "rate-limit storage unreachable" in log

    with (
        private_redis(port, tmp_path),
        running_gunicorn(postgres_url, tmp_path / "svc2", workers=1, **env) as server,
    ):
        assert requests.get(f"{server.url}/ready", timeout=10).json()["status"] == "ready"
