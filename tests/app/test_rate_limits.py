"""Hourly limits by scope (seed 003), headers on every authenticated response, 429 + Retry-After."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api

LIMITS = "read=3/hour,write=5/hour,admin=100/hour"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "RATE_LIMITS": LIMITS}


@pytest.fixture
def alice(api: Api, root_key: str) -> str:
    return api.create_account(root_key, "acme", "alice")


@pytest.mark.parametrize(("scope", "allowed"), [("read", 3), ("write", 5)])
def test_each_scope_gets_its_own_hourly_budget(
    api: Api, alice: str, scope: str, allowed: int
) -> None:
    token = api.create_token(alice, "api-tokens", scope=scope)["token"]
    statuses = [api.call("GET", "/auth/check", token).status for _ in range(allowed + 2)]
    assert statuses == [200] * allowed + [429, 429]


def test_limited_response_has_envelope_retry_after_and_headers(api: Api, alice: str) -> None:
    token = api.create_token(alice, "api-tokens", scope="read")["token"]
    first = api.call("GET", "/auth/check", token)
    assert (
        first.headers["X-RateLimit-Limit"] == "3" and first.headers["X-RateLimit-Remaining"] == "2"
    )
    assert "X-RateLimit-Reset" in first.headers and "Retry-After" not in first.headers
    for _ in range(2):
        api.call("GET", "/auth/check", token)
    limited = api.call("GET", "/auth/check", token)
    assert limited.status == 429 and limited.error_code == "RESOURCE_EXHAUSTED"
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["X-RateLimit-Remaining"] == "0"


def test_budget_is_per_token_across_endpoints(api: Api, alice: str) -> None:
    one = api.create_token(alice, "api-tokens", scope="read")["token"]
    two = api.create_token(alice, "api-tokens", scope="read")["token"]
    paths = ["/auth/check", "/me/api-tokens", "/auth/check"]
    assert [api.call("GET", path, one).status for path in paths] == [200, 200, 200]
    assert api.call("GET", "/me/api-tokens", one).status == 429
    assert api.call("GET", "/auth/check", two).status == 200


def test_unauthenticated_endpoints_carry_no_limit_headers(api: Api) -> None:
    reply = api.call("GET", "/health")
    assert reply.status == 200 and "X-RateLimit-Limit" not in reply.headers
