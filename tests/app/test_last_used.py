"""`last used` is kept, but written at most once per token per resolution window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from tests.support.api import Api


def token_updates(app: Flask, action: Any) -> int:
    """How many UPDATE statements on `tokens` ran while `action()` did."""
    from app.extensions import db

    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE TOKENS"):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_many_requests_write_last_used_once(api: Api, app: Flask, root_key: str) -> None:
    key = api.create_account(root_key, "acme", "alice")
    token = api.create_token(key)["token"]
    writes = token_updates(app, lambda: [api.call("GET", "/auth/check", token) for _ in range(20)])
    assert writes == 1
    (entry,) = api.call("GET", "/me/pats", key).body
    used = dt.datetime.fromisoformat(entry["lastUsedAt"])
    assert abs((dt.datetime.now(dt.UTC) - used).total_seconds()) < 60


@pytest.mark.parametrize("window", [0])
def test_a_zero_window_writes_every_time(make_app: Any, root_key: str, window: int) -> None:
    app = make_app(LAST_USED_RESOLUTION_SECONDS=window)
    api = Api(app.test_client())
    token = api.create_token(api.create_account(root_key, "acme", "alice"))["token"]
    assert (
        token_updates(app, lambda: [api.call("GET", "/auth/check", token) for _ in range(3)]) == 3
    )
