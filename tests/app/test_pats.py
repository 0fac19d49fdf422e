"""Personal access tokens and API tokens over the JSON API (seeds 000, 001, 003)."""

from __future__ import annotations

import datetime as dt

import pytest

from scanner import formats
from tests.support.api import Api

KINDS = ["pats", "api-tokens"]


@pytest.fixture
def alice(api: Api, root_key: str) -> str:
    """The user key of alice, ADMIN of account acme."""
    return api.create_account(root_key, "acme", "alice")


@pytest.fixture
def bob(api: Api, alice: str) -> str:
    """The user key of bob, a USER of account acme."""
    return api.register_user(alice, "acme", "bob")


def future(days: int = 30) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("kind", KINDS)
def test_create_returns_the_value_once_and_list_never_shows_it(
    api: Api, alice: str, kind: str
) -> None:
    created = api.create_token(
        alice, kind, name="agent-alpha", scope="read_write", expiresAt="2099-01-01T00:00:00Z"
    )
    assert set(created) >= {"id", "name", "scope", "token", "expiresAt", "createdAt"}
    assert created["expiresAt"] == "2099-01-01T00:00:00Z"
    expected = formats.PERSONAL_ACCESS_TOKEN if kind == "pats" else formats.API_TOKEN
    assert formats.identify(created["token"]) is expected
    assert created["id"].startswith("pat_" if kind == "pats" else "apt_")

    listed = api.call("GET", f"/me/{kind}", alice)
    assert listed.status == 200
    (entry,) = listed.body
    assert entry["id"] == created["id"] and "token" not in entry
    assert entry["last4"] == created["token"][-4:] and entry["lastUsedAt"] is None
    assert created["token"] not in str(listed.body)


@pytest.mark.parametrize("kind", KINDS)
def test_token_authenticates_with_both_headers(api: Api, alice: str, kind: str) -> None:
    token = api.create_token(alice, kind)["token"]
    for header in ("bearer", "x-api-key"):
        check = api.call("GET", "/auth/check", token, header=header)
        assert check.status == 200, check
        assert check.body["userId"] == "alice" and check.body["scope"] == "read_write"
        assert check.body["kind"] == ("pat" if kind == "pats" else "api_token")


@pytest.mark.parametrize("kind", KINDS)
def test_deleted_token_fails_at_once(api: Api, alice: str, kind: str) -> None:
    created = api.create_token(alice, kind)
    assert api.call("DELETE", f"/me/{kind}/{created['id']}", alice).status == 200
    refused = api.call("GET", "/auth/check", created["token"])
    assert refused.status == 401 and refused.error_code == "UNAUTHENTICATED"
    assert "revoked" in refused.body["error"]["message"]
    assert api.call("GET", f"/me/{kind}", alice).body == []
    assert api.call("DELETE", f"/me/{kind}/{created['id']}", alice).status == 404


@pytest.mark.parametrize("kind", KINDS)
def test_rotate_replaces_the_token(api: Api, alice: str, kind: str) -> None:
    old = api.create_token(alice, kind, name="deploy", expiresAt=future(10))
    rotated = api.call("POST", f"/me/{kind}/{old['id']}/rotate", alice)
    assert rotated.status == 201
    new = rotated.body
    assert new["name"] == "deploy" and new["id"] != old["id"] and new["token"] != old["token"]
    assert new["expiresAt"] is not None
    assert api.call("GET", "/auth/check", old["token"]).status == 401
    assert api.call("GET", "/auth/check", new["token"]).status == 200


def test_last_used_is_recorded(api: Api, alice: str) -> None:
    created = api.create_token(alice)
    api.call("GET", "/auth/check", created["token"])
    (entry,) = api.call("GET", "/me/pats", alice).body
    assert entry["lastUsedAt"] is not None


def test_expired_token_answers_401(api: Api, alice: str, app) -> None:  # type: ignore[no-untyped-def]
    from app.extensions import db
    from app.models import Token

    created = api.create_token(alice, expiresAt=future(1))
    with app.app_context():
        row = db.session.get(Token, created["id"])
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.session.commit()
    refused = api.call("GET", "/auth/check", created["token"])
    assert refused.status == 401 and "expired" in refused.body["error"]["message"]


@pytest.mark.parametrize("expires", ["2001-01-01T00:00:00Z", "not a date"])
def test_expiry_in_the_past_or_malformed_is_refused(api: Api, alice: str, expires: str) -> None:
    reply = api.call(
        "POST",
        "/me/pats",
        alice,
        json_body={"name": "x", "scope": "read_write", "expiresAt": expires},
    )
    assert reply.status == 400 and reply.error_code == "INVALID_ARGUMENT"
    assert "expiresAt" in reply.body["error"]["message"]


def test_missing_invalid_and_bad_checksum_tokens_answer_401(api: Api, alice: str) -> None:
    token = api.create_token(alice)["token"]
    bad_checksum = token[:-1] + ("A" if token[-1] != "A" else "B")
    for presented in (None, "nonsense", bad_checksum, formats.PERSONAL_ACCESS_TOKEN.generate()):
        reply = api.call("GET", "/me/pats", presented)
        assert reply.status == 401 and reply.error_code == "UNAUTHENTICATED"
        assert reply.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_tampered_api_token_is_refused(api: Api, alice: str) -> None:
    token = api.create_token(alice, "api-tokens", scope="read")["token"]
    import base64
    import json

    body, signature = token[4:].split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["scope"] = "admin"
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert api.call("GET", "/auth/check", f"oai_{forged_body}.{signature}").status == 401


def test_read_scope_cannot_write_and_gets_403(api: Api, alice: str) -> None:
    reader = api.create_token(alice, "api-tokens", scope="read")["token"]
    assert api.call("GET", "/me/api-tokens", reader).status == 200
    refused = api.call("POST", "/me/pats", reader, json_body={"name": "x", "scope": "read"})
    assert refused.status == 403 and refused.error_code == "PERMISSION_DENIED"
    assert "scope" in refused.body["error"]["message"]


def test_no_escalation_and_admin_scope_for_admins_only(api: Api, alice: str, bob: str) -> None:
    writer = api.create_token(alice, scope="read_write")["token"]
    escalate = api.call("POST", "/me/pats", writer, json_body={"name": "x", "scope": "admin"})
    assert escalate.status == 403
    as_user = api.call("POST", "/me/pats", bob, json_body={"name": "x", "scope": "admin"})
    assert as_user.status == 403 and "ADMIN" in as_user.body["error"]["message"]
    assert api.create_token(alice, scope="admin")["scope"] == "admin"


def test_write_is_an_alias_of_read_write(api: Api, alice: str) -> None:
    assert api.create_token(alice, "api-tokens", scope="write")["scope"] == "read_write"


def test_agent_tokens_are_refused_on_settings_and_admin_endpoints(api: Api, alice: str) -> None:
    agent = api.create_token(alice, name="agent-alpha", agentId="agent-alpha")
    token = agent["token"]
    assert api.call("GET", "/auth/check", token).body["agentId"] == "agent-alpha"
    for method, path in [("GET", "/me/pats"), ("GET", "/api/v1/admin/accounts/acme/users")]:
        refused = api.call(method, path, token)
        assert refused.status == 403 and "agent" in refused.body["error"]["message"]


def test_admin_scope_cannot_be_an_agent_token(api: Api, alice: str) -> None:
    reply = api.call(
        "POST", "/me/pats", alice, json_body={"name": "x", "scope": "admin", "agentId": "agent-1"}
    )
    assert reply.status == 400 and reply.error_code == "INVALID_ARGUMENT"


def test_other_users_tokens_are_not_visible_or_deletable(api: Api, alice: str, bob: str) -> None:
    created = api.create_token(alice)
    assert api.call("GET", "/me/pats", bob).body == []
    assert api.call("DELETE", f"/me/pats/{created['id']}", bob).status == 404
    assert api.call("GET", "/auth/check", created["token"]).status == 200


def test_root_key_has_no_personal_tokens(api: Api, root_key: str) -> None:
    reply = api.call("GET", "/me/pats", root_key)
    assert reply.status == 403 and "root key" in reply.body["error"]["message"]
    check = api.call("GET", "/auth/check", root_key, header="x-api-key")
    assert check.status == 200 and check.body["kind"] == "root" and check.body["role"] == "root"


def test_pats_switched_off_answer_403_for_creation_and_use(
    api: Api, alice: str, root_key: str
) -> None:
    pat = api.create_token(alice)["token"]
    off = api.call("PATCH", "/api/v1/admin/settings", root_key, json_body={"pats_enabled": False})
    assert off.status == 200 and off.body["result"]["pats_enabled"] is False
    used = api.call("GET", "/auth/check", pat)
    assert used.status == 403 and used.error_code == "PERMISSION_DENIED"
    created = api.call("POST", "/me/pats", alice, json_body={"name": "x", "scope": "read"})
    assert created.status == 403 and created.error_code == "PERMISSION_DENIED"
    # user keys and API tokens are not PATs and keep working
    assert api.call("GET", "/auth/check", alice).status == 200
    api.call("PATCH", "/api/v1/admin/settings", root_key, json_body={"pats_enabled": True})
    assert api.call("GET", "/auth/check", pat).status == 200


@pytest.mark.parametrize(
    "expires_at",
    ["9999-12-31T23:59:59-23:00", "9999-12-31T23:59:59-00:01", "0001-01-01T00:00:00+14:00"],
)
def test_an_expiry_past_the_representable_range_is_a_400(
    api: Api, root_key: str, expires_at: str
) -> None:
    """Red-team finding 14: this expiresAt made POST /me/pats answer 500 (OverflowError)."""
    key = api.create_account(root_key, "acme", "alice")
    body = {"name": "far", "scope": "read", "expiresAt": expires_at}
    reply = api.call("POST", "/me/pats", key, json_body=body)
    assert reply.status == 400 and reply.error_code == "INVALID_ARGUMENT", reply


@pytest.mark.parametrize("kind", ["pats", "api-tokens"])
def test_an_attacker_with_a_read_write_token_cannot_rotate_into_admin(
    api: Api, alice: str, kind: str
) -> None:
    """Red-team finding 1, from the attacker's side: a leaked `read_write` token lists its
    owner's tokens, finds the `admin` one and rotates it to get a working admin token."""
    admin = api.create_token(alice, kind, name="ops", scope="admin")
    stolen = api.create_token(alice, kind, name="ci", scope="read_write")["token"]
    listed = api.call("GET", f"/me/{kind}", stolen)
    assert listed.status == 200 and admin["id"] in {t["id"] for t in listed.body}
    rotated = api.call("POST", f"/me/{kind}/{admin['id']}/rotate", stolen, json_body={})
    assert rotated.status == 403, rotated.status
    assert "token" not in (rotated.body or {})
    assert api.call("GET", "/auth/check", admin["token"]).status == 200  # the admin one stands


@pytest.mark.parametrize("kind", KINDS)
def test_a_name_already_taken_is_409_until_that_token_is_gone(
    api: Api, alice: str, bob: str, kind: str
) -> None:
    first = api.create_token(alice, kind, name="deploy")
    for taken in ("deploy", " Deploy "):
        body = {"name": taken, "scope": "read"}
        again = api.call("POST", f"/me/{kind}", alice, json_body=body)
        assert again.status == 409 and again.error_code == "ALREADY_EXISTS"
        assert "'deploy'" in again.body["error"]["message"]
    assert api.create_token(bob, kind, name="deploy")  # another person's names are theirs
    rotated = api.call("POST", f"/me/{kind}/{first['id']}/rotate", alice)
    assert rotated.status == 201 and rotated.body["name"] == "deploy"
    assert api.call("DELETE", f"/me/{kind}/{rotated.body['id']}", alice).status in (200, 204)
    assert api.create_token(alice, kind, name="deploy")
