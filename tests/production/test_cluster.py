"""Two gunicorn instances with two workers each, one PostgreSQL, one Redis: they act as one."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.expiry import valid_then_expired
from tests.support.gunicorn import running_gunicorn
from tests.support.live_server import LiveServer

LIMITS = "read=20/hour,write=2000/hour,admin=5000/hour"


@pytest.fixture
def cluster_env(redis_env: dict[str, str]) -> dict[str, str]:
    """The settings both instances run with (an operator's commands need the same Redis)."""
    return {**redis_env, "TOKENPATROL_RATE_LIMITS": LIMITS}


@pytest.fixture
def cluster(
    postgres_url: str, cluster_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[LiveServer, LiveServer]]:
    env = cluster_env
    with (
        running_gunicorn(postgres_url, tmp_path / "one", workers=2, **env) as one,
        running_gunicorn(postgres_url, tmp_path / "two", workers=2, **env) as two,
    ):
        yield one, two


def get(server: LiveServer, token: str) -> requests.Response:
    """A new connection each time, so successive requests land on either worker."""
    return requests.get(
        f"{server.url}/auth/check",
        headers={"Authorization": f"Bearer {token}", "Connection": "close"},
        timeout=30,
    )


def warmed(cluster: tuple[LiveServer, LiveServer], token: str) -> bool:
    """Enough requests that every worker of both instances has the token in its auth cache."""
    return all(get(server, token).status_code == 200 for server in cluster for _ in range(8))


def warm(cluster: tuple[LiveServer, LiveServer], token: str) -> None:
    assert warmed(cluster, token)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_a_token_made_on_one_instance_works_on_the_other_until_revoked(
    cluster: tuple[LiveServer, LiveServer],
) -> None:
    one, two = cluster
    key = Api(base_url=one.url).create_account(ROOT_KEY, "acme", "alice")
    pat = Api(base_url=two.url).create_token(key, name="made-on-two")
    warm(cluster, pat["token"])

    deleted = Api(base_url=one.url).call("DELETE", f"/me/pats/{pat['id']}", key)
    assert deleted.status == 200, deleted
    # The very next request, on every worker of both instances, is refused.
    for server in (two, one):
        answers = [get(server, pat["token"]) for _ in range(6)]
        assert [a.status_code for a in answers] == [401] * 6
        assert answers[0].json()["error"]["message"] == "token has been revoked"


def test_role_and_settings_changes_reach_every_instance_at_once(
    cluster: tuple[LiveServer, LiveServer],
) -> None:
    one, two = cluster
    first, second = Api(base_url=one.url), Api(base_url=two.url)
    alice = first.create_account(ROOT_KEY, "acme", "alice")
    bob = first.register_user(alice, "acme", "bob", role="admin")
    pat = first.create_token(alice, name="pat")["token"]
    warm(cluster, bob)
    warm(cluster, pat)
    assert second.call("GET", "/api/v1/admin/accounts/acme/users", bob).status == 200

    demoted = first.call(
        "PUT", "/api/v1/admin/accounts/acme/users/bob/role", ROOT_KEY, json_body={"role": "user"}
    )
    assert demoted.status == 200, demoted
    assert second.call("GET", "/api/v1/admin/accounts/acme/users", bob).status == 403

    off = first.call("PATCH", "/api/v1/admin/settings", ROOT_KEY, json_body={"pats_enabled": False})
    assert off.status == 200, off
    assert [get(server, pat).status_code for server in (two, one)] == [403, 403]


def test_an_operator_revocation_reaches_every_instance(
    cluster: tuple[LiveServer, LiveServer],
    cluster_env: dict[str, str],
    postgres_url: str,
    tmp_path: Path,
) -> None:
    import subprocess

    from tests.support.live_server import oi_command, server_environment

    one, two = cluster
    key = Api(base_url=one.url).create_account(ROOT_KEY, "acme", "alice")
    pat = Api(base_url=one.url).create_token(key, name="pat")
    warm(cluster, pat["token"])
    env = server_environment(postgres_url, tmp_path / "operator", **cluster_env)
    done = subprocess.run(
        [*oi_command(), "server", "revoke", "--token-id", pat["id"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [get(server, pat["token"]).status_code for server in (one, two)] == [401, 401]


def test_a_cached_token_still_expires_on_time(cluster: tuple[LiveServer, LiveServer]) -> None:
    one, two = cluster
    key = Api(base_url=one.url).create_account(ROOT_KEY, "acme", "alice")

    def make(expires_at: dt.datetime) -> str:
        brief = Api(base_url=one.url).create_token(key, name="brief", expiresAt=iso(expires_at))
        return str(brief["token"])

    token = valid_then_expired(make, lambda made: warmed(cluster, made))
    answers = [get(server, token) for server in (one, two)]
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].json()["error"]["message"] == "token has expired"


def test_a_read_limit_of_20_is_one_budget_across_both_instances(
    cluster: tuple[LiveServer, LiveServer],
) -> None:
    one = cluster[0]
    key = Api(base_url=one.url).create_account(ROOT_KEY, "acme", "alice")
    read = Api(base_url=one.url).create_token(key, name="reader", scope="read")["token"]
    answers = [get(server, read) for server in itertools.islice(itertools.cycle(cluster), 30)]
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 20 and statuses.count(429) == 10, statuses
    assert statuses[:20] == [200] * 20
    for limited in answers[20:]:
        assert int(limited.headers["Retry-After"]) > 0
        assert limited.headers["X-RateLimit-Limit"] == "20"
        assert limited.json()["error"]["code"] == "RESOURCE_EXHAUSTED"
    # Each instance (a gunicorn of its own) answered its share, so the one budget was counted
    # by at least two processes. Which of an instance's workers accepts a connection is the
    # kernel's choice, so the test asks for nothing about that.
    # gunicorn writes an access line after it has sent the answer, so the last line may still
    # be on its way: wait for it (bounded), never for a fixed time.
    workers = set()
    for server in cluster:
        lines = access_lines(server, "/auth/check", at_least=15)
        assert len(lines) >= 15, len(lines)
        workers |= {line.rsplit("pid=", 1)[1] for line in lines}
    assert len(workers) >= 2, workers


def access_lines(server: LiveServer, path: str, *, at_least: int) -> list[str]:
    """The server's access-log lines for `path`, once there are `at_least` (or 30 s passed)."""
    deadline = time.monotonic() + 30
    while True:
        lines = [line for line in server.log_text().splitlines() if path in line]
        if len(lines) >= at_least or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_last_used_is_written_once_for_40_concurrent_requests_on_4_workers(
    cluster: tuple[LiveServer, LiveServer], postgres_url: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import create_engine, text

    one, two = cluster
    key = Api(base_url=one.url).create_account(ROOT_KEY, "acme", "alice")
    pat = Api(base_url=one.url).create_token(key, name="busy")
    engine = create_engine(postgres_url)
    with engine.begin() as connection:  # count, in the database itself, every last_used write
        connection.execute(text("CREATE TABLE last_used_writes (token_id text)"))
        connection.execute(
            text(
                "CREATE FUNCTION count_last_used() RETURNS trigger AS $$ BEGIN "
                "IF NEW.last_used_at IS DISTINCT FROM OLD.last_used_at THEN "
                "INSERT INTO last_used_writes VALUES (NEW.id); END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql"
            )
        )
        connection.execute(
            text(
                "CREATE TRIGGER count_last_used BEFORE UPDATE ON tokens "
                "FOR EACH ROW EXECUTE FUNCTION count_last_used()"
            )
        )
    servers = [one, two] * 20
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda server: get(server, pat["token"]).status_code, servers))
    assert statuses == [200] * 40
    with engine.connect() as connection:
        writes = connection.execute(
            text("SELECT count(*) FROM last_used_writes WHERE token_id = :id"), {"id": pat["id"]}
        ).scalar_one()
        used = connection.execute(
            text("SELECT last_used_at FROM tokens WHERE id = :id"), {"id": pat["id"]}
        ).scalar_one()
    engine.dispose()
    assert writes == 1 and used is not None
    listed = Api(base_url=two.url).call("GET", "/me/pats", key).body
    assert [row["lastUsedAt"] for row in listed if row["id"] == pat["id"]] != [None]
