"""HTTPS required (seed 003) behind a configured number of proxies, and development mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.support.api import Api

AppFactory = Callable[..., Flask]


def make_api(make_app: AppFactory, **overrides: Any) -> Api:
    return Api(make_app(**overrides).test_client())


def test_plain_http_is_refused_when_https_is_required(make_app: AppFactory, root_key: str) -> None:
    api = make_api(make_app, REQUIRE_HTTPS=True)
    refused = api.call("GET", "/auth/check", root_key)
    assert refused.status == 403 and refused.error_code == "HTTPS_REQUIRED"
    secure = api.client.get(
        "/auth/check", headers={"X-API-Key": root_key}, base_url="https://localhost"
    )  # type: ignore[union-attr]
    assert secure.status_code == 200
    assert api.call("GET", "/health").status == 200  # liveness probes may stay on plain HTTP


def test_forwarded_proto_counts_only_behind_a_configured_proxy(
    make_app: AppFactory, root_key: str
) -> None:
    headers = {"X-Forwarded-Proto": "https"}
    no_proxy = make_api(make_app, REQUIRE_HTTPS=True)
    assert no_proxy.call("GET", "/auth/check", root_key, headers=headers).status == 403
    one_proxy = make_api(make_app, REQUIRE_HTTPS=True, PROXY_COUNT=1)
    assert one_proxy.call("GET", "/auth/check", root_key, headers=headers).status == 200


def test_development_mode_turns_auth_off_for_loopback(make_app: AppFactory) -> None:
    api = make_api(make_app, ROOT_API_KEY=None, DEVELOPMENT_MODE_ALLOWED=True)
    check = api.call("GET", "/auth/check")
    assert check.status == 200 and check.body["kind"] == "dev" and check.body["role"] == "root"
    created = api.call("POST", "/me/pats", json_body={"name": "dev", "scope": "read_write"})
    assert created.status == 201
    assert api.call("GET", "/auth/check", created.body["token"]).body["kind"] == "pat"
    assert api.call("GET", "/auth/check", "oi_pat_invalid").status == 401


def test_development_mode_refuses_remote_clients(make_app: AppFactory) -> None:
    api = make_api(make_app, ROOT_API_KEY=None, DEVELOPMENT_MODE_ALLOWED=True)
    remote = api.client.get("/auth/check", environ_base={"REMOTE_ADDR": "192.0.2.10"})  # type: ignore[union-attr]
    assert remote.status_code == 403 and remote.get_json()["error"]["code"] == "PERMISSION_DENIED"


def test_development_mode_warns_loudly(make_app: AppFactory, caplog: Any) -> None:
    make_api(make_app, ROOT_API_KEY=None, DEVELOPMENT_MODE_ALLOWED=True)
    assert any(
        "DEVELOPMENT MODE" in record.message and record.levelname == "WARNING"
        for record in caplog.records
    )
