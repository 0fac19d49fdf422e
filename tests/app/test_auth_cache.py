"""The auth cache: a warm token costs no query; a change anywhere empties every cache at once.

Two apps built in this process stand for two server processes: each has its own cache, and
they share the database and Redis (the epoch), as gunicorn workers and instances do.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from tests.support.api import Api
from tests.support.services import require_redis


@pytest.fixture
def redis_config() -> dict[str, str]:
    return {"RATELIMIT_STORAGE_URI": require_redis(), "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}


@pytest.fixture
def two_processes(
    make_app: Callable[..., Flask], redis_config: dict[str, str]
) -> tuple[Flask, Flask]:
    return make_app(**redis_config), make_app(**redis_config)


@contextmanager
def counted_queries(app: Flask) -> Iterator[list[str]]:
    from app.extensions import db

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_warm_token_is_answered_without_a_query(
    two_processes: tuple[Flask, Flask], root_key: str
) -> None:
    app, _ = two_processes
    api = Api(app.test_client())
    key = api.create_account(root_key, "acme", "alice")
    pat = api.create_token(key)["token"]
    assert api.call("GET", "/auth/check", pat).status == 200  # looked up, then cached
    with counted_queries(app) as statements:
        for _ in range(5):
            assert api.call("GET", "/auth/check", pat).status == 200
    assert statements == []


def test_a_revocation_in_one_process_empties_the_others_cache(
    two_processes: tuple[Flask, Flask], root_key: str
) -> None:
    one, two = (Api(app.test_client()) for app in two_processes)
    key = one.create_account(root_key, "acme", "alice")
    pat = one.create_token(key)
    for _ in range(3):
        assert two.call("GET", "/auth/check", pat["token"]).status == 200
    assert one.call("DELETE", f"/me/pats/{pat['id']}", key).status == 200
    refused = two.call("GET", "/auth/check", pat["token"])
    assert refused.status == 401 and refused.body["error"]["message"] == "token has been revoked"


def test_a_role_change_reaches_a_warm_cache(
    two_processes: tuple[Flask, Flask], root_key: str
) -> None:
    one, two = (Api(app.test_client()) for app in two_processes)
    alice = one.create_account(root_key, "acme", "alice")
    bob = one.register_user(alice, "acme", "bob", role="admin")
    assert two.call("GET", "/api/v1/admin/accounts/acme/users", bob).status == 200
    one.call(
        "PUT", "/api/v1/admin/accounts/acme/users/bob/role", root_key, json_body={"role": "user"}
    )
    assert two.call("GET", "/api/v1/admin/accounts/acme/users", bob).status == 403


def test_without_redis_every_request_asks_the_database(
    make_app: Callable[..., Flask], root_key: str
) -> None:
    from tests.support.live_server import free_port

    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    api = Api(app.test_client())
    key = api.create_account(root_key, "acme", "alice")
    pat = api.create_token(key)["token"]
    with counted_queries(app) as statements:
        for _ in range(3):
            assert api.call("GET", "/auth/check", pat).status == 200
    assert sum("FROM tokens" in s for s in statements) == 3


def test_the_cache_is_off_without_redis(app: Flask, api: Api, root_key: str) -> None:
    key = api.create_account(root_key, "acme", "alice")
    with counted_queries(app) as statements:
        api.call("GET", "/auth/check", key)
        api.call("GET", "/auth/check", key)
    assert sum("FROM tokens" in s for s in statements) == 2


# ---- red-team finding 4: revocations that must hold -------------------------------------------


def cache_on(redis_config: dict[str, str], clock: Callable[[], float] = time.monotonic) -> Any:
    from app.services.auth_cache import AuthCache

    return AuthCache[str](
        redis_config["RATELIMIT_STORAGE_URI"],
        100,
        30.0,
        redis_config["RATELIMIT_KEY_PREFIX"],
        clock=clock,
    )


def test_an_answer_resolved_before_a_change_is_not_stored_after_it(
    redis_config: dict[str, str],
) -> None:
    """Thread A resolves, a revocation commits, thread B sees the new epoch, then A stores."""
    worker, elsewhere = cache_on(redis_config), cache_on(redis_config)
    started = worker.begin_request()  # thread A's request begins
    assert started is not None
    elsewhere.bump()  # a revocation commits in another process
    assert worker.begin_request() not in (None, started)  # thread B sees the new epoch
    worker.put("hash", "identity resolved before the revocation", None, started)
    assert worker.get("hash") is None


def test_storing_an_entry_again_does_not_make_it_younger(redis_config: dict[str, str]) -> None:
    now = [1000.0]
    cache = cache_on(redis_config, clock=lambda: now[0])
    epoch = cache.begin_request()
    cache.put("hash", "identity", None, epoch)
    for _ in range(6):  # every request re-stores it with a new last-used time
        now[0] += 5
        assert cache.get("hash") is not None
        cache.put("hash", "identity", None, epoch)
    now[0] += 5  # 35 s after it was resolved, 5 s after it was last stored
    assert cache.get("hash") is None, "re-storing an entry reset its age"


def test_a_lost_epoch_never_comes_back_as_a_value_already_held(
    redis_config: dict[str, str],
) -> None:
    import redis

    cache = cache_on(redis_config)
    cache.begin_request()
    cache.bump()
    held = cache.begin_request()
    store = redis.Redis.from_url(redis_config["RATELIMIT_STORAGE_URI"])
    store.delete(f"{redis_config['RATELIMIT_KEY_PREFIX']}:tokenpatrol:auth-epoch")  # data lost
    cache.put("hash", "identity", None, held)
    assert cache.begin_request() != held and cache.get("hash") is None
    assert cache.begin_request() == cache.begin_request()  # the new epoch is stable
