"""The admin API: OpenViking's envelope, field names, codes and who may do what (seed 004)."""

from __future__ import annotations

import pytest

from tests.support.api import Api

ADMIN = "/api/v1/admin"


@pytest.fixture
def alice(api: Api, root_key: str) -> str:
    return api.create_account(root_key, "acme", "alice")


def test_create_account_answers_like_openviking(api: Api, root_key: str) -> None:
    reply = api.call(
        "POST",
        f"{ADMIN}/accounts",
        root_key,
        json_body={"account_id": "acme", "admin_user_id": "alice"},
        header="x-api-key",
    )
    assert reply.status == 200 and reply.body["status"] == "ok"
    assert set(reply.body["result"]) == {"account_id", "admin_user_id", "user_key"}
    assert isinstance(reply.body["time"], float)
    users = api.call("GET", f"{ADMIN}/accounts/acme/users", root_key).body["result"]
    assert [(u["user_id"], u["role"]) for u in users] == [("alice", "admin")]


def test_duplicate_account_and_user_are_already_exists(api: Api, root_key: str, alice: str) -> None:
    again = api.call(
        "POST",
        f"{ADMIN}/accounts",
        root_key,
        json_body={"account_id": "acme", "admin_user_id": "x"},
    )
    assert again.status == 409 and again.error_code == "ALREADY_EXISTS"
    dup = api.call("POST", f"{ADMIN}/accounts/acme/users", alice, json_body={"user_id": "alice"})
    assert dup.status == 409 and dup.error_code == "ALREADY_EXISTS"


def test_list_accounts_counts_users(api: Api, root_key: str, alice: str) -> None:
    api.register_user(alice, "acme", "bob")
    api.create_account(root_key, "zeta", "zed")
    listed = api.call("GET", f"{ADMIN}/accounts", root_key).body["result"]
    assert [(a["account_id"], a["user_count"]) for a in listed] == [("acme", 2), ("zeta", 1)]


def test_root_only_operations_refuse_account_admins(api: Api, alice: str) -> None:
    api.register_user(alice, "acme", "bob")
    for method, path, body in [
        ("GET", f"{ADMIN}/accounts", None),
        ("POST", f"{ADMIN}/accounts", {"account_id": "b", "admin_user_id": "c"}),
        ("DELETE", f"{ADMIN}/accounts/acme", None),
        ("PUT", f"{ADMIN}/accounts/acme/users/bob/role", {"role": "admin"}),
        ("PATCH", f"{ADMIN}/settings", {"pats_enabled": False}),
    ]:
        reply = api.call(method, path, alice, json_body=body)
        assert reply.status == 403 and reply.error_code == "PERMISSION_DENIED", (method, path)


def test_admins_manage_only_their_own_account(api: Api, root_key: str, alice: str) -> None:
    zed = api.create_account(root_key, "zeta", "zed")
    for method, path in [
        ("GET", f"{ADMIN}/accounts/acme/users"),
        ("POST", f"{ADMIN}/accounts/acme/users/alice/key"),
        ("DELETE", f"{ADMIN}/accounts/acme/users/alice"),
    ]:
        assert api.call(method, path, zed).status == 403
    assert api.call("GET", f"{ADMIN}/accounts/zeta/users", zed).status == 200


def test_users_cannot_use_the_admin_api(api: Api, alice: str) -> None:
    bob = api.register_user(alice, "acme", "bob")
    reply = api.call("GET", f"{ADMIN}/accounts/acme/users", bob)
    assert reply.status == 403 and "ADMIN" in reply.body["error"]["message"]


def test_admin_needs_an_admin_scope_token(api: Api, alice: str) -> None:
    pat = api.create_token(alice, scope="read_write")["token"]
    reply = api.call("GET", f"{ADMIN}/accounts/acme/users", pat)
    assert reply.status == 403 and "scope" in reply.body["error"]["message"]
    admin_pat = api.create_token(alice, scope="admin")["token"]
    assert api.call("GET", f"{ADMIN}/accounts/acme/users", admin_pat).status == 200


def test_role_change_and_regenerate(api: Api, root_key: str, alice: str) -> None:
    bob = api.register_user(alice, "acme", "bob")
    changed = api.call(
        "PUT", f"{ADMIN}/accounts/acme/users/bob/role", root_key, json_body={"role": "admin"}
    )
    assert changed.body["result"] == {"account_id": "acme", "user_id": "bob", "role": "admin"}
    assert api.call("GET", f"{ADMIN}/accounts/acme/users", bob).status == 200
    regenerated = api.call("POST", f"{ADMIN}/accounts/acme/users/bob/key", alice)
    new_key = regenerated.body["result"]["user_key"]
    assert set(regenerated.body["result"]) == {"user_key"}
    assert api.call("GET", "/auth/check", bob).status == 401
    assert api.call("GET", "/auth/check", new_key).body["userId"] == "bob"


def test_removing_a_user_kills_their_tokens(api: Api, alice: str) -> None:
    bob = api.register_user(alice, "acme", "bob")
    bob_pat = api.create_token(bob)["token"]
    assert api.call("DELETE", f"{ADMIN}/accounts/acme/users/bob", alice).body["result"] == {
        "deleted": True
    }
    assert api.call("GET", "/auth/check", bob).status == 401
    assert api.call("GET", "/auth/check", bob_pat).status == 401
    assert api.call("GET", f"{ADMIN}/accounts/acme/users/bob", alice).status == 404


def test_deleting_an_account_kills_every_token_in_it(api: Api, root_key: str, alice: str) -> None:
    token = api.create_token(alice, "api-tokens")["token"]
    assert api.call("DELETE", f"{ADMIN}/accounts/acme", root_key).status == 200
    assert api.call("GET", "/auth/check", token).status == 401
    assert api.call("GET", "/auth/check", alice).status == 401
    missing = api.call("GET", f"{ADMIN}/accounts/acme", root_key)
    assert missing.status == 404 and missing.error_code == "NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [
        {"account_id": "bad id", "admin_user_id": "a"},
        {"account_id": "", "admin_user_id": "a"},
        {"account_id": "a"},
    ],
)
def test_bad_account_input_is_invalid_argument(
    api: Api, root_key: str, body: dict[str, str]
) -> None:
    reply = api.call("POST", f"{ADMIN}/accounts", root_key, json_body=body)
    assert reply.status == 400 and reply.error_code == "INVALID_ARGUMENT"


def test_settings_read_and_write(api: Api, root_key: str, alice: str) -> None:
    defaults = {"pats_enabled": True, "max_token_lifetime_days": None}
    assert api.call("GET", f"{ADMIN}/settings", alice).body["result"] == defaults
    reply = api.call("PATCH", f"{ADMIN}/settings", root_key, json_body={"pats_enabled": False})
    changed = {"pats_enabled": False, "max_token_lifetime_days": None}
    assert reply.body["result"] == changed
    assert api.call("GET", f"{ADMIN}/settings", root_key).body["result"] == changed
    nulled = api.call("PATCH", f"{ADMIN}/settings", root_key, json_body={"pats_enabled": None})
    assert nulled.status == 400 and nulled.error_code == "INVALID_ARGUMENT"
