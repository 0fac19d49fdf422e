"""The auth cache: a warm token costs no query; a change anywhere empties every cache at once.

Two apps built in this process stand for two server processes: each has its own cache, and
they share the database and Redis (the epoch), as gunicorn workers and instances do.
"""

from __future__ import annotations

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
