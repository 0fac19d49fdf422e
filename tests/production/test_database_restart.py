"""PostgreSQL stops under a running gunicorn and comes back: 503s with the error envelope
while it is down (never a traceback), then recovery without restarting the service.

The PostgreSQL that goes down is a private one this test starts (the machine's own serves
everything else running here)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import databases
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.gunicorn import running_gunicorn
from tests.support.private_servers import PrivatePostgres, private_postgres

RECOVERY_SECONDS = 60


@pytest.fixture
def stoppable_postgres(tmp_path: Path) -> Iterator[tuple[PrivatePostgres, str]]:
    """A private PostgreSQL and a migrated database on it."""
    with private_postgres() as server:
        factory = databases.PostgresDatabases(server.url, tmp_path / "template")
        try:
            with factory.fresh(tmp_path) as url:
                yield server, url
        finally:
            if not server.is_running():
                server.start()
            factory.close()


def test_503_while_the_database_is_down_then_recovery(
    stoppable_postgres: tuple[PrivatePostgres, str], redis_env: dict[str, str], tmp_path: Path
) -> None:
    postgres, postgres_url = stoppable_postgres
    with running_gunicorn(postgres_url, tmp_path / "svc", workers=2, **redis_env) as server:
        key = Api(base_url=server.url).create_account(ROOT_KEY, "acme", "alice")
        check = f"{server.url}/me/pats"  # needs the database on every request
        headers = {"Authorization": f"Bearer {key}"}
        assert requests.get(check, headers=headers, timeout=10).status_code == 200
        spare = Api(base_url=server.url).create_token(key, name="never-used")["token"]

        postgres.stop()
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
            postgres.start()

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
