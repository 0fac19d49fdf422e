"""The leak protocol: check by hash, revoke by possession, events deduplicated, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from scanner import formats
from tests.support.api import Api

WHERE = {"repo": "https://git.example/acme/app", "commit": "a" * 40, "path": "cfg.py", "line": 3}


@pytest.fixture
def alice(api: Api, root_key: str) -> str:
    return api.create_account(root_key, "acme", "alice")


def revoke(api: Api, tokens: list[str], location: dict[str, Any] | None = None) -> Any:
    body = {"tokens": tokens, "location": location or WHERE, "source": "ci"}
    reply = api.call("POST", "/api/v1/leaks/revoke", json_body=body)
    assert reply.status == 200, reply
    return reply.body


def test_check_reports_each_status_without_the_secret(api: Api, alice: str) -> None:
    live = api.create_token(alice)["token"]
    gone = api.create_token(alice, "api-tokens")
    api.call("DELETE", f"/me/api-tokens/{gone['id']}", alice)
    never = formats.PERSONAL_ACCESS_TOKEN.generate()
    hashes = [formats.token_hash(t) for t in (live, gone["token"], never)]
    reply = api.call("POST", "/api/v1/leaks/check", json_body={"hashes": hashes})
    assert reply.status == 200
    assert [r["status"] for r in reply.body["results"]] == ["active", "revoked", "unknown"]
    assert (
        reply.body["results"][0]["kind"] == "pat"
        and reply.body["results"][1]["kind"] == "api_token"
    )


def test_revoke_kills_live_tokens_at_once_and_is_idempotent(api: Api, alice: str) -> None:
    live = api.create_token(alice, name="deploy")["token"]
    never = formats.PERSONAL_ACCESS_TOKEN.generate()
    first = revoke(api, [live, never, "not a token"])
    assert [r["result"] for r in first["results"]] == ["revoked", "unknown", "unknown"]
    assert first["results"][0]["redacted"] == formats.redact(live)
    assert "/me/pats" in first["replacement"]
    assert api.call("GET", "/auth/check", live).status == 401
    again = revoke(api, [live])
    assert [r["result"] for r in again["results"]] == ["already_revoked"]
    assert (live in str(first) + str(again)) is False


def test_events_are_deduplicated_per_location_and_listed(
    api: Api, alice: str, root_key: str
) -> None:
    token = api.create_token(alice, name="deploy")["token"]
    revoke(api, [token])
    revoke(api, [token])
    revoke(api, [token], {**WHERE, "path": "other.py"})
    mine = api.call("GET", "/me/leaks", alice).body
    assert sorted(e["path"] for e in mine) == ["cfg.py", "other.py"]
    assert {e["tokenName"] for e in mine} == {"deploy"} and mine[0]["revokedAt"]
    assert [e["revokedNow"] for e in sorted(mine, key=lambda e: e["reportedAt"])] == [True, False]
    everything = api.call("GET", "/api/v1/admin/leaks", root_key).body["result"]
    assert len(everything) == 2 and everything[0]["accountId"] == "acme"


def test_admins_see_their_own_account_only(api: Api, alice: str, root_key: str) -> None:
    zed = api.create_account(root_key, "zeta", "zed")
    revoke(api, [api.create_token(alice)["token"]])
    assert api.call("GET", "/api/v1/admin/leaks", zed).body["result"] == []
    assert len(api.call("GET", "/api/v1/admin/leaks", alice).body["result"]) == 1


def test_a_thousand_hashes_in_one_request(api: Api, alice: str) -> None:
    live = api.create_token(alice)["token"]
    hashes = [formats.token_hash(formats.PERSONAL_ACCESS_TOKEN.generate()) for _ in range(999)]
    reply = api.call(
        "POST", "/api/v1/leaks/check", json_body={"hashes": [*hashes, formats.token_hash(live)]}
    )
    statuses = [r["status"] for r in reply.body["results"]]
    assert len(statuses) == 1000 and statuses[-1] == "active" and set(statuses[:-1]) == {"unknown"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"hashes": []},
        {"hashes": ["xyz"]},
        {"hashes": ["a" * 64] * 5001},
        {"tokens": []},
        {"tokens": ["x"], "source": "carrier-pigeon"},
        {"tokens": ["x"], "location": {"line": -1}},
    ],
)
def test_malformed_batches_get_a_4xx_envelope_and_revoke_nothing(
    api: Api, alice: str, body: dict[str, Any]
) -> None:
    token = api.create_token(alice)["token"]
    path = "/api/v1/leaks/revoke" if "tokens" in body else "/api/v1/leaks/check"
    if body.get("tokens"):
        body = {**body, "tokens": [token, *body["tokens"]]}
    reply = api.call("POST", path, json_body=body)
    assert 400 <= reply.status < 500 and reply.body["status"] == "error"
    assert api.call("GET", "/auth/check", token).status == 200


def test_leak_endpoints_are_rate_limited_per_address(make_app: Any) -> None:
    api = Api(make_app(LEAK_RATE_LIMIT="3/minute").test_client())
    body = {"hashes": ["a" * 64]}
    statuses = [api.call("POST", "/api/v1/leaks/check", json_body=body).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_leaked_invite_link_is_checked_and_revoked_too(api: Api, alice: str) -> None:
    created = api.call(
        "POST",
        "/api/v1/admin/invites",
        alice,
        json_body={"email": "carol@example.com", "account_id": "acme"},
    ).body["result"]
    invite = created["invite_token"]
    check = api.call(
        "POST", "/api/v1/leaks/check", json_body={"hashes": [formats.token_hash(invite)]}
    )
    assert (
        check.body["results"][0]["status"] == "active"
        and check.body["results"][0]["kind"] == "invite"
    )
    assert [r["result"] for r in revoke(api, [invite])["results"]] == ["revoked"]
    claim = api.call(
        "POST",
        "/auth/invites/claim",
        json_body={"token": invite, "password": "correct horse battery staple"},
    )
    assert claim.status == 400
    assert [r["result"] for r in revoke(api, [invite])["results"]] == ["already_revoked"]


def test_reports_of_a_dead_token_add_few_events_and_one_per_place(api: Api, root_key: str) -> None:
    """Red-team finding 13: anyone who saw a token, even a revoked one, could add any number
    of events (with any location) to its owner's leaks page."""
    key = api.create_account(root_key, "acme", "alice")
    token = api.create_token(key)["token"]

    def report(path: str) -> str:
        body = {"tokens": [token], "location": {"path": path}, "source": "cli"}
        reply = api.call("POST", "/api/v1/leaks/revoke", json_body=body)
        assert reply.status == 200, reply
        return str(reply.body["results"][0]["result"])

    assert report("first.py") == "revoked"
    assert [report("first.py") for _ in range(3)] == ["already_revoked"] * 3  # same place
    assert [report(f"fake-{n}.py") for n in range(10)] == ["already_revoked"] * 10
    events = api.call("GET", "/me/leaks", key).body
    paths = sorted(event["path"] for event in events)
    assert paths == ["fake-0.py", "fake-1.py", "fake-2.py", "fake-3.py", "first.py"], paths


def test_a_retried_report_gets_the_same_answer(api: Api, root_key: str) -> None:
    """Red-team finding 8: the first try committed, its answer was lost, and the retry was told
    `already_revoked`, so the scanner reported a live leak as long dead."""
    key = api.create_account(root_key, "acme", "alice")
    token = api.create_token(key)["token"]
    body = {"tokens": [token], "location": {"path": "a.py"}, "reportId": "r" * 32}
    first = api.call("POST", "/api/v1/leaks/revoke", json_body=body)
    retry = api.call("POST", "/api/v1/leaks/revoke", json_body=body)
    assert [first.body["results"][0]["result"], retry.body["results"][0]["result"]] == [
        "revoked",
        "revoked",
    ]
    other = {**body, "reportId": "s" * 32}
    again = api.call("POST", "/api/v1/leaks/revoke", json_body=other)
    assert again.body["results"][0]["result"] == "already_revoked"
    bad = api.call("POST", "/api/v1/leaks/revoke", json_body={**body, "reportId": "x"})
    assert bad.status == 400
