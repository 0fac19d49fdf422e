"""PostgreSQL stops under a running gunicorn and comes back: 503s with the error envelope
while it is down (never a traceback), then recovery without restarting the service."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.gunicorn import running_gunicorn
from tests.support.services import unavailable

RECOVERY_SECONDS = 30


def pg_ctl(action: str) -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action, "-m", "fast"]
        if action == "stop"
        else ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def stoppable_postgres() -> Iterator[None]:
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        unavailable("pg_ctlcluster is needed to stop and start this machine's PostgreSQL")
    yield
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False, timeout=10).returncode:
        pg_ctl("start")  # whatever happened, leave the machine's PostgreSQL running


def test_503_while_the_database_is_down_then_recovery(
    postgres_url: str, redis_env: dict[str, str], tmp_path: Path, stoppable_postgres: None
) -> None:
    with running_gunicorn(postgres_url, tmp_path / "svc", workers=2, **redis_env) as server:
        key = Api(base_url=server.url).create_account(ROOT_KEY, "acme", "alice")
        check = f"{server.url}/me/pats"  # needs the database on every request
        headers = {"Authorization": f"Bearer {key}"}
        assert requests.get(check, headers=headers, timeout=10).status_code == 200
        spare = Api(base_url=server.url).create_token(key, name="never-used")["token"]

        pg_ctl("stop")
        try:
            down = [requests.get(check, headers=headers, timeout=30) for _ in range(4)]
            assert [r.status_code for r in down] == [503] * 4
            assert down[0].json() == {
                "status": "error",
                "error": {
                    "code": "UNAVAILABLE",
                    "message": "the database is unavailable; try again shortly",
                },
            }
            assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
            # A token no worker has verified yet needs the database: 503 too. (One a worker
            # verified moments ago may be answered from its auth cache; nothing can be revoked
            # while the database is down.)
            unseen = {"Authorization": f"Bearer {spare}"}
            answer = requests.get(f"{server.url}/auth/check", headers=unseen, timeout=30)
            assert answer.status_code == 503 and answer.json()["error"]["code"] == "UNAVAILABLE"
            ready = requests.get(f"{server.url}/ready", timeout=30)
            assert ready.status_code == 503 and ready.json()["error"]["code"] == "UNAVAILABLE"
        finally:
            pg_ctl("start")

        deadline = time.monotonic() + RECOVERY_SECONDS
        statuses: list[int] = []
        while time.monotonic() < deadline:
            statuses.append(requests.get(check, headers=headers, timeout=30).status_code)
            if statuses[-4:] == [200] * 4:
                break
            time.sleep(0.2)
        assert statuses[-4:] == [200] * 4, statuses
        assert requests.get(f"{server.url}/ready", timeout=10).status_code == 200
        assert "Traceback" not in server.log_text()
