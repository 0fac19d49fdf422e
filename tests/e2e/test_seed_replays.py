"""The seeds' curl examples, replayed literally against a real `oi serve` (seeds 001, 003, 004).

Each request is sent the way the seed's curl command sends it (its headers, its JSON), so a
client written from those pages works against tokenpatrol unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest

from app.config import parse_signing_keys
from scanner import formats
from tests.e2e.wire import (
    JSON,
    ROOT,
    Redacted,
    Wire,
    api_key,
    api_token_payload,
    as_json,
    assert_error,
    bearer,
    curl,
    ok_result,
    with_payload,
)
from tests.support.databases import SIGNING_KEYS
from tests.support.live_server import LiveServer
from tests.support.secrets import Secret

OAI_SHAPE = re.compile(r"oai_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}")
HOURLY_LIMITS = {"read": "1000", "read_write": "2000", "admin": "5000"}
PASSWORD = "correct horse battery staple"


def seed_expiry() -> str:
    """Seed 001's `expiresAt`, 2027-01-01, while it is still ahead; then the next 1 January."""
    now = dt.datetime.now(dt.UTC)
    year = 2027 if now < dt.datetime(2027, 1, 1, tzinfo=dt.UTC) else now.year + 1
    return f"{year}-01-01T00:00:00Z"


@dataclass(frozen=True)
class Acme:
    """Account acme made with the root key, as seed 004 does: alice is its ADMIN."""

    url: str
    alice: Secret


def create_account(url: str, account_id: str, admin_user_id: str) -> Secret:
    """Seed 004's `POST /api/v1/admin/accounts` with the root key; the admin's user key."""
    reply = curl(
        url,
        "POST",
        "/api/v1/admin/accounts",
        api_key(ROOT),
        JSON,
        data=as_json({"account_id": account_id, "admin_user_id": admin_user_id}),
    )
    key = ok_result(reply)["user_key"]
    is_token = isinstance(key, Secret)
    assert is_token, reply
    return Secret(key)


def register_user(url: str, admin_key: str, account_id: str, user_id: str, role: str) -> Secret:
    reply = curl(
        url,
        "POST",
        f"/api/v1/admin/accounts/{account_id}/users",
        bearer(admin_key),
        JSON,
        data=as_json({"user_id": user_id, "role": role}),
    )
    key = ok_result(reply)["user_key"]
    is_token = isinstance(key, Secret)
    assert is_token, reply
    return Secret(key)


def check(url: str, *header: str) -> Wire:
    """`GET /auth/check` with the given credential header(s)."""
    return curl(url, "GET", "/auth/check", *header)


@pytest.fixture
def acme(live_server: LiveServer) -> Acme:
    return Acme(live_server.url, create_account(live_server.url, "acme", "alice"))


# ---------------------------------------------------------------- seed 001: OpenIndex PATs


def test_seed_001_create_list_and_delete_a_pat(acme: Acme) -> None:
    """Seed 001's create/list/delete: the value is shown once and dies with the delete."""
    url = acme.url
    existing = curl(
        url,
        "POST",
        "/me/pats",
        bearer(acme.alice),
        JSON,
        data=as_json({"name": "ci-pipeline", "scope": "read_write"}),
    )
    assert existing.status == 201, existing
    existing_pat: Secret = existing.body["token"]

    expires = seed_expiry()
    created = curl(
        url,
        "POST",
        "/me/pats",
        f"Authorization: Bearer {existing_pat}",
        "Content-Type: application/json",
        data=f'{{\n"name": "agent-alpha",\n"scope": "read_write",\n"expiresAt": "{expires}"\n}}',
    )
    assert created.status == 201, created
    body = created.body
    assert set(body) >= {"id", "name", "scope", "token", "expiresAt", "createdAt"}, created
    assert re.fullmatch(r"pat_[0-9A-Za-z]+", body["id"]), created
    assert (body["name"], body["scope"], body["expiresAt"]) == (
        "agent-alpha",
        "read_write",
        expires,
    )
    token: Secret = body["token"]
    assert formats.identify(token) is formats.PERSONAL_ACCESS_TOKEN and len(token) == 43
    created_at = dt.datetime.fromisoformat(body["createdAt"])
    assert abs(dt.datetime.now(dt.UTC) - created_at) < dt.timedelta(minutes=5), created

    used = check(url, bearer(token))
    assert used.status == 200, used
    assert (used.body["kind"], used.body["tokenId"], used.body["userId"]) == (
        "pat",
        body["id"],
        "alice",
    )

    listed = curl(url, "GET", "/me/pats", f"Authorization: Bearer {existing_pat}")
    assert listed.status == 200, listed
    entries = {entry["id"]: entry for entry in listed.body}
    assert body["id"] in entries, listed
    assert all("token" not in entry for entry in entries.values()), listed
    values_listed = token in listed.text or existing_pat in listed.text
    assert values_listed is False, "GET /me/pats must never return token values"
    assert entries[body["id"]]["last4"] == token[-4:] and entries[body["id"]]["status"] == "active"

    deleted = curl(url, "DELETE", f"/me/pats/{body['id']}", f"Authorization: Bearer {existing_pat}")
    assert deleted.status == 200, deleted
    assert deleted.body == {"id": body["id"], "deleted": True}
    for header in (bearer(token), api_key(token)):
        assert_error(check(url, header), 401, "UNAUTHENTICATED")
    assert_error(curl(url, "GET", "/me/pats", bearer(token)), 401, "UNAUTHENTICATED")
    remaining = curl(url, "GET", "/me/pats", bearer(existing_pat))
    assert [entry["id"] for entry in remaining.body] == [existing.body["id"]], remaining


def test_seed_001_claim_an_invite_without_a_bearer(acme: Acme) -> None:
    """Seed 001: an invite link is claimed with nothing but its token (and a password)."""
    url = acme.url
    invited = curl(
        url,
        "POST",
        "/api/v1/admin/invites",
        api_key(ROOT),
        JSON,
        data=as_json({"email": "dana@example.com", "account_id": "acme", "role": "user"}),
    )
    result = ok_result(invited)
    invite_token: Secret = result["invite_token"]
    assert formats.identify(invite_token) is formats.INVITE_TOKEN, invited
    link_opens_invite = result["url"].startswith(url) and result["url"].endswith(invite_token)
    assert link_opens_invite, "the invite url is the service's link carrying the invite token"

    too_short = curl(
        url,
        "POST",
        "/auth/invites/claim",
        JSON,
        data=as_json({"token": invite_token, "password": "short"}),
    )
    assert_error(too_short, 400, "INVALID_ARGUMENT")

    claimed = curl(
        url,
        "POST",
        "/auth/invites/claim",
        "Content-Type: application/json",
        data=f'{{"token": "{invite_token}", "password": "{PASSWORD}"}}',
    )
    assert claimed.status == 201, claimed
    assert claimed.body == {
        "accountId": "acme",
        "userId": "dana",
        "email": "dana@example.com",
        "role": "user",
    }

    users = ok_result(curl(url, "GET", "/api/v1/admin/accounts/acme/users", api_key(ROOT)))
    assert {(user["user_id"], user["role"]) for user in users} == {
        ("alice", "admin"),
        ("dana", "user"),
    }
    again = curl(
        url,
        "POST",
        "/auth/invites/claim",
        JSON,
        data=as_json({"token": invite_token, "password": PASSWORD}),
    )
    assert_error(again, 400, "INVALID_ARGUMENT")


# ---------------------------------------------------------------- seed 003: Ogarni oai_ tokens


def create_api_token(acme: Acme, scope: str, name: str = "My script") -> tuple[str, Secret]:
    """Seed 003's "Create token" step over the API, authenticated with `X-API-Key`."""
    reply = curl(
        acme.url,
        "POST",
        "/me/api-tokens",
        api_key(acme.alice),
        JSON,
        data=as_json({"name": name, "scope": scope}),
    )
    assert reply.status == 201, reply
    token = reply.body["token"]
    is_token = isinstance(token, Secret)
    assert is_token, reply
    return str(reply.body["id"]), Secret(token)


@pytest.mark.parametrize(
    ("scope", "canonical"), [("read", "read"), ("write", "read_write"), ("admin", "admin")]
)
def test_seed_003_api_token_per_scope(acme: Acme, scope: str, canonical: str) -> None:
    """An `oai_` token of each scope: its documented shape, its payload, its hourly limit."""
    token_id, token = create_api_token(acme, scope)
    shaped = OAI_SHAPE.fullmatch(token) is not None
    assert shaped, "oai_ + base64url payload + '.' + base64url HMAC-SHA256"
    payload = api_token_payload(token)
    assert set(payload) == set(formats.API_TOKEN_FIELDS)
    assert (payload["tid"], payload["sub"], payload["scope"]) == (token_id, "acme/alice", canonical)
    assert payload["iss"] == acme.url and payload["exp"] is None
    keyring = dict(parse_signing_keys(SIGNING_KEYS))
    verified = formats.API_TOKEN.verify(token, keyring) == payload
    assert verified, "the HMAC-SHA256 signature checks out under the first signing key"

    # The seed's `curl -X GET ... -H "X-API-Key: oai_your_token_here"`.
    used = curl(acme.url, "GET", "/auth/check", Redacted(f"X-API-Key: {token}"))
    assert used.status == 200, used
    assert (used.body["kind"], used.body["scope"], used.body["tokenId"]) == (
        "api_token",
        canonical,
        token_id,
    )
    assert used.headers.get("X-RateLimit-Limit") == HOURLY_LIMITS[canonical], used


def test_seed_003_tampered_payload_is_refused(acme: Acme) -> None:
    """Raising a read token's scope in its payload breaks the HMAC: 401, never admin."""
    _, token = create_api_token(acme, "read")
    payload = api_token_payload(token)
    forged = with_payload(token, {**payload, "scope": "admin"})
    assert api_token_payload(forged)["scope"] == "admin"
    for header in (api_key(forged), bearer(forged)):
        assert_error(check(acme.url, header), 401, "UNAUTHENTICATED")
    write = curl(
        acme.url,
        "POST",
        "/me/pats",
        api_key(forged),
        JSON,
        data=as_json({"name": "x", "scope": "read_write"}),
    )
    assert_error(write, 401, "UNAUTHENTICATED")
    flipped = Secret(token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert_error(check(acme.url, api_key(flipped)), 401, "UNAUTHENTICATED")
    untouched = check(acme.url, api_key(token))
    assert untouched.status == 200 and untouched.body["scope"] == "read", untouched


def test_seed_003_deleted_token_answers_401(acme: Acme) -> None:
    """Seed 003: "The token becomes invalid immediately ... 401 Unauthorized"."""
    token_id, token = create_api_token(acme, "write")
    assert check(acme.url, api_key(token)).status == 200
    deleted = curl(acme.url, "DELETE", f"/me/api-tokens/{token_id}", api_key(acme.alice))
    assert deleted.status == 200 and deleted.body == {"id": token_id, "deleted": True}, deleted
    for header in (api_key(token), bearer(token)):
        assert_error(check(acme.url, header), 401, "UNAUTHENTICATED")
    listed = curl(acme.url, "GET", "/me/api-tokens", api_key(acme.alice))
    assert listed.status == 200 and listed.body == [], listed


def test_seed_003_read_scope_cannot_write(acme: Acme) -> None:
    """A read token reads (200) and is refused writes with 403, not 401."""
    _, reader = create_api_token(acme, "read")
    _, writer = create_api_token(acme, "write", name="writer")
    assert curl(acme.url, "GET", "/me/api-tokens", api_key(reader)).status == 200
    body = as_json({"name": "from-read", "scope": "read"})
    for path in ("/me/pats", "/me/api-tokens"):
        refused = curl(acme.url, "POST", path, api_key(reader), JSON, data=body)
        assert_error(refused, 403, "PERMISSION_DENIED")
    written = curl(acme.url, "POST", "/me/pats", api_key(writer), JSON, data=body)
    assert written.status == 201, written


# ---------------------------------------------------------------- seed 004: OpenViking admin API


def test_seed_004_create_account_answers_openviking_shape(live_server: LiveServer) -> None:
    """OpenViking clients read `{"status": "ok", "result": {account_id, admin_user_id, user_key}}`.

    The envelope's extra `time` field is OpenViking's too; the result holds exactly these keys.
    """
    url = live_server.url
    reply = curl(
        url,
        "POST",
        "/api/v1/admin/accounts",
        f"X-API-Key: {ROOT}",
        "Content-Type: application/json",
        data='{"account_id": "acme", "admin_user_id": "alice"}',
    )
    result = ok_result(reply)
    assert set(result) == {"account_id", "admin_user_id", "user_key"}, reply
    assert (result["account_id"], result["admin_user_id"]) == ("acme", "alice")
    assert formats.identify(result["user_key"]) is formats.PERSONAL_ACCESS_TOKEN
    who = check(url, bearer(result["user_key"]))
    assert (who.body["kind"], who.body["role"], who.body["accountId"]) == (
        "user_key",
        "admin",
        "acme",
    ), who

    listed = ok_result(curl(url, "GET", "/api/v1/admin/accounts", api_key(ROOT)))
    assert [(entry["account_id"], entry["user_count"]) for entry in listed] == [("acme", 1)]
    again = as_json({"account_id": "acme", "admin_user_id": "alice"})
    duplicate = curl(url, "POST", "/api/v1/admin/accounts", api_key(ROOT), JSON, data=again)
    assert_error(duplicate, 409, "ALREADY_EXISTS")
    bad = curl(
        url, "POST", "/api/v1/admin/accounts", api_key(ROOT), JSON, data='{"account_id": ""}'
    )
    assert_error(bad, 400, "INVALID_ARGUMENT")
    assert_error(curl(url, "GET", "/api/v1/admin/accounts/nope", api_key(ROOT)), 404, "NOT_FOUND")


def test_seed_004_admin_registers_and_lists_users(acme: Acme) -> None:
    """The account ADMIN registers bob with `Authorization: Bearer` and lists the users."""
    url = acme.url
    reply = curl(
        url,
        "POST",
        "/api/v1/admin/accounts/acme/users",
        f"Authorization: Bearer {acme.alice}",
        "Content-Type: application/json",
        data='{"user_id": "bob", "role": "user"}',
    )
    result = ok_result(reply)
    assert (result["account_id"], result["user_id"], result["role"]) == ("acme", "bob", "user")
    bob: Secret = result["user_key"]
    who = check(url, api_key(bob))
    assert (who.body["userId"], who.body["role"]) == ("bob", "user"), who

    users = ok_result(curl(url, "GET", "/api/v1/admin/accounts/acme/users", bearer(acme.alice)))
    assert [(user["user_id"], user["role"]) for user in users] == [
        ("alice", "admin"),
        ("bob", "user"),
    ]
    one = ok_result(curl(url, "GET", "/api/v1/admin/accounts/acme/users/bob", api_key(ROOT)))
    assert (one["user_id"], one["role"]) == ("bob", "user")
    taken = curl(
        url,
        "POST",
        "/api/v1/admin/accounts/acme/users",
        bearer(acme.alice),
        JSON,
        data=as_json({"user_id": "bob"}),
    )
    assert_error(taken, 409, "ALREADY_EXISTS")


def test_seed_004_role_change_is_root_only(acme: Acme) -> None:
    """`PUT .../role` works with the root key and answers an account ADMIN 403."""
    url = acme.url
    register_user(url, acme.alice, "acme", "bob", "user")
    path = "/api/v1/admin/accounts/acme/users/bob/role"
    as_admin = curl(url, "PUT", path, bearer(acme.alice), JSON, data='{"role": "admin"}')
    assert_error(as_admin, 403, "PERMISSION_DENIED")
    bob = ok_result(curl(url, "GET", "/api/v1/admin/accounts/acme/users/bob", api_key(ROOT)))
    assert bob["role"] == "user"

    as_root = curl(url, "PUT", path, f"X-API-Key: {ROOT}", JSON, data='{"role": "admin"}')
    assert ok_result(as_root) == {"account_id": "acme", "user_id": "bob", "role": "admin"}
    bob = ok_result(curl(url, "GET", "/api/v1/admin/accounts/acme/users/bob", api_key(ROOT)))
    assert bob["role"] == "admin"
    invalid = curl(url, "PUT", path, api_key(ROOT), JSON, data='{"role": "root"}')
    assert_error(invalid, 400, "INVALID_ARGUMENT")


def test_seed_004_regenerated_key_replaces_the_old_one_at_once(acme: Acme) -> None:
    """`POST .../users/bob/key`: the old key answers 401 from the next request, the new 200."""
    url = acme.url
    old = register_user(url, acme.alice, "acme", "bob", "user")
    assert check(url, api_key(old)).status == 200
    regenerated = curl(url, "POST", "/api/v1/admin/accounts/acme/users/bob/key", bearer(acme.alice))
    result = ok_result(regenerated)
    assert set(result) == {"user_key"}, regenerated
    new: Secret = result["user_key"]
    assert formats.identify(new) is formats.PERSONAL_ACCESS_TOKEN
    assert (formats.fingerprint(new) != formats.fingerprint(old)) is True
    for header in (api_key(old), bearer(old)):
        assert_error(check(url, header), 401, "UNAUTHENTICATED")
    who = check(url, bearer(new))
    assert who.status == 200 and who.body["userId"] == "bob", who

    by_root = ok_result(
        curl(url, "POST", "/api/v1/admin/accounts/acme/users/bob/key", api_key(ROOT))
    )
    assert_error(check(url, bearer(new)), 401, "UNAUTHENTICATED")
    assert check(url, api_key(by_root["user_key"])).status == 200


def test_seed_004_other_account_admin_and_users_are_denied(acme: Acme) -> None:
    """An ADMIN manages their own account only; a USER manages nothing (403, not 401)."""
    url = acme.url
    bob = register_user(url, acme.alice, "acme", "bob", "user")
    gina = create_account(url, "globex", "gina")
    denied_calls: list[tuple[str, str, str | None]] = [
        ("GET", "/api/v1/admin/accounts/acme", None),
        ("GET", "/api/v1/admin/accounts/acme/users", None),
        ("GET", "/api/v1/admin/accounts/acme/users/alice", None),
        ("POST", "/api/v1/admin/accounts/acme/users", as_json({"user_id": "eve"})),
        ("POST", "/api/v1/admin/accounts/acme/users/alice/key", None),
        ("DELETE", "/api/v1/admin/accounts/acme/users/alice", None),
        ("PUT", "/api/v1/admin/accounts/acme/users/alice/role", as_json({"role": "user"})),
        ("GET", "/api/v1/admin/accounts", None),
        ("DELETE", "/api/v1/admin/accounts/acme", None),
    ]
    for who in (gina, bob):
        for method, path, data in denied_calls:
            headers = (bearer(who), JSON) if data else (bearer(who),)
            assert_error(curl(url, method, path, *headers, data=data), 403, "PERMISSION_DENIED")
    own = curl(url, "GET", "/api/v1/admin/accounts/globex/users", bearer(gina))
    assert [user["user_id"] for user in ok_result(own)] == ["gina"]
    users = ok_result(curl(url, "GET", "/api/v1/admin/accounts/acme/users", api_key(ROOT)))
    assert [user["user_id"] for user in users] == ["alice", "bob"]
    assert check(url, bearer(acme.alice)).status == 200


def test_seed_004_deleting_users_and_accounts_kills_their_tokens(acme: Acme) -> None:
    """Removing a user or an account invalidates every token its users held, at once."""
    url = acme.url
    bob = register_user(url, acme.alice, "acme", "bob", "user")
    carol = register_user(url, acme.alice, "acme", "carol", "user")
    carol_pat = curl(
        url,
        "POST",
        "/me/pats",
        bearer(carol),
        JSON,
        data=as_json({"name": "laptop", "scope": "read_write"}),
    ).body["token"]
    bob_api = curl(
        url,
        "POST",
        "/me/api-tokens",
        api_key(bob),
        JSON,
        data=as_json({"name": "script", "scope": "read"}),
    ).body["token"]
    alive = [check(url, bearer(token)).status for token in (carol, carol_pat, bob, bob_api)]
    assert alive == [200, 200, 200, 200]

    removed = curl(url, "DELETE", "/api/v1/admin/accounts/acme/users/carol", bearer(acme.alice))
    assert ok_result(removed) == {"deleted": True}
    for token in (carol, carol_pat):
        assert_error(check(url, bearer(token)), 401, "UNAUTHENTICATED")
    gone = curl(url, "GET", "/api/v1/admin/accounts/acme/users/carol", api_key(ROOT))
    assert_error(gone, 404, "NOT_FOUND")
    assert check(url, api_key(bob)).status == 200

    dropped = curl(url, "DELETE", "/api/v1/admin/accounts/acme", f"X-API-Key: {ROOT}")
    assert ok_result(dropped) == {"deleted": True}
    for token in (acme.alice, bob, bob_api):
        for header in (bearer(token), api_key(token)):
            assert_error(check(url, header), 401, "UNAUTHENTICATED")
    assert_error(curl(url, "GET", "/api/v1/admin/accounts/acme", api_key(ROOT)), 404, "NOT_FOUND")
    assert ok_result(curl(url, "GET", "/api/v1/admin/accounts", api_key(ROOT))) == []


UNAUTHENTICATED_CALLS = [
    ("POST", "/api/v1/admin/accounts"),
    ("GET", "/api/v1/admin/accounts"),
    ("GET", "/api/v1/admin/accounts/acme"),
    ("DELETE", "/api/v1/admin/accounts/acme"),
    ("POST", "/api/v1/admin/accounts/acme/users"),
    ("GET", "/api/v1/admin/accounts/acme/users"),
    ("PUT", "/api/v1/admin/accounts/acme/users/alice/role"),
    ("POST", "/api/v1/admin/accounts/acme/users/alice/key"),
    ("DELETE", "/api/v1/admin/accounts/acme/users/alice"),
    ("POST", "/api/v1/admin/invites"),
    ("GET", "/auth/check"),
    ("GET", "/me/pats"),
    ("POST", "/me/api-tokens"),
]


def test_seed_004_no_credential_is_unauthenticated(acme: Acme) -> None:
    """No key, a wrong root key or a non-Bearer scheme: 401 UNAUTHENTICATED, never 403."""
    wrong_root = Secret(ROOT + "x")
    credentials = [
        (),
        (api_key(wrong_root),),
        (bearer(wrong_root),),
        (Redacted(f"Authorization: Basic {acme.alice}"),),
    ]
    for method, path in UNAUTHENTICATED_CALLS:
        for headers in credentials:
            reply = curl(acme.url, method, path, *headers, JSON, data="{}")
            assert_error(reply, 401, "UNAUTHENTICATED")
            assert reply.headers.get("WWW-Authenticate", "").startswith("Bearer"), reply
    users = ok_result(curl(acme.url, "GET", "/api/v1/admin/accounts/acme/users", api_key(ROOT)))
    assert [user["user_id"] for user in users] == ["alice"], "nothing was changed or deleted"


def test_health_needs_no_auth(live_server: LiveServer) -> None:
    """Seed 004: load balancers probe `/health` without credentials, or with stale ones."""
    for header in [
        None,
        "Authorization: Bearer garbage",
        "Authorization: Basic Zm9vOmJhcg==",
        "Authorization: garbage",
        "Authorization: Bearer",
        "X-API-Key: garbage",
        "Authorization: Bearer oi_pat_000000000000000000000000000000000000",
    ]:
        reply = curl(live_server.url, "GET", "/health", *([header] if header else []))
        assert reply.status == 200 and reply.body == {"status": "ok"}, reply
