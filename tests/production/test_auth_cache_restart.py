"""Red-team finding 4a: Redis restarted without persistence (as the README runs it) under a
running gunicorn (2 workers x 4 threads). The auth epoch restarted, landed on a value the
workers still held, and a PAT revoked with `oi server revoke` kept working from their caches.
The Redis restarted here is a private one of this test's own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import redis
import requests

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.gunicorn import running_gunicorn
from tests.support.live_server import oi_command, server_environment
from tests.support.private_servers import private_redis

EPOCH_KEY = "tokenpatrol:auth-epoch"
CHANGES = 20  # more changes than the setup below ever makes


def check(url: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(f"{url}/auth/check", headers=headers, timeout=30).status_code


def test_a_revocation_holds_after_redis_loses_its_data(postgres_url: str, tmp_path: Path) -> None:
    with private_redis(tmp_path / "redis") as first:
        env = {"TOKENPATROL_RATELIMIT_STORAGE_URI": first.url, "TOKENPATROL_THREADS": "4"}
        with running_gunicorn(postgres_url, tmp_path / "svc", workers=2, **env) as server:
            api = Api(base_url=server.url)
            key = api.create_account(ROOT_KEY, "acme", "alice")
            other = api.create_token(key, name="other")
            pat = api.create_token(key, name="deploy")
            assert api.call("DELETE", f"/me/pats/{other['id']}", key).status in (200, 204)
            # Warm every worker's cache under the epoch these changes left.
            assert {check(server.url, pat["token"]) for _ in range(40)} == {200}
            held = redis.Redis.from_url(first.url).get(EPOCH_KEY)
            assert held is not None

            first.shutdown()  # Redis loses everything, the epoch included
            with private_redis(tmp_path / "redis-again", port=first.port) as again:
                store = redis.Redis.from_url(again.url)
                epochs = []
                for n in range(CHANGES):  # each change announces a new epoch
                    pats_on = n % 2 == 1
                    body = {"pats_enabled": pats_on}
                    changed = api.call("PATCH", "/api/v1/admin/settings", ROOT_KEY, json_body=body)
                    assert changed.status == 200, changed
                    epochs.append(store.get(EPOCH_KEY))
                assert held not in epochs, "after the data loss the epoch came back to a held value"
                revoked = subprocess.run(
                    [*oi_command(), "server", "revoke", "--token-id", pat["id"]],
                    env=server_environment(
                        postgres_url,
                        tmp_path / "svc" / "instance",
                        TOKENPATROL_RATELIMIT_STORAGE_URI=first.url,
                    ),
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                assert revoked.returncode == 0 and "revoked 1 token" in revoked.stdout, revoked
                answers = [check(server.url, pat["token"]) for _ in range(80)]
    assert set(answers) == {401}, f"{answers.count(200)} of 80 requests accepted a revoked PAT"
