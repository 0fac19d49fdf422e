"""No secret ever reaches the server's log, whatever clients send (seed 003: "Never log tokens").

One long, realistic session against a real `oi serve`: every token kind is issued, used with
both headers, rotated, deleted and regenerated; forged, tampered, expired and malformed
credentials are sent; tokens ride in malformed JSON bodies; an invite is made and claimed.
Every raw secret that crossed the wire in either direction is remembered, then the server's
log file is searched for each of them (and for the root key).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

from app.config import parse_signing_keys
from scanner import formats
from tests.e2e.wire import (
    JSON,
    ROOT,
    Wire,
    api_key,
    api_token_payload,
    as_json,
    bearer,
    curl,
    token_shaped,
    with_payload,
)
from tests.support.databases import SIGNING_KEYS
from tests.support.expiry import valid_until, wait_past
from tests.support.live_server import LiveServer
from tests.support.log_guard import leaked_in
from tests.support.secrets import Secret

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
REQUEST_LINE = re.compile(r'"(GET|POST|PUT|PATCH|DELETE) (\S+) HTTP/1\.[01]" (\d{3})')
CREDENTIAL_HEADERS = ("authorization", "x-api-key")
MIN_SECRET_LENGTH = 16
PASSWORD = "correct horse battery staple"
ACCOUNTS = "/api/v1/admin/accounts"
SCOPES_BY_KIND = {"pats": ("read_write", "admin", "read"), "api-tokens": ("read", "write", "admin")}


class Session:
    """Sends requests and remembers every secret that crossed the wire, in either direction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.secrets: dict[str, None] = {ROOT: None}  # an ordered set
        self.exchanges: list[tuple[str, str, str]] = []
        self.echoed: list[str] = []

    def send(self, method: str, path: str, *headers: str, data: str | None = None) -> Wire:
        presented = [*self._credentials(headers), *token_shaped(data or "")]
        self.secrets.update(dict.fromkeys(presented))
        reply = curl(self.url, method, path, *headers, data=data)
        self.exchanges.append((method, path, str(reply.status)))
        self.secrets.update(dict.fromkeys(token_shaped(reply.text)))
        if reply.status >= 400 and any(secret in reply.text for secret in presented):
            self.echoed.append(f"{method} {path} -> {reply.status}")
        return reply

    def issued(self, reply: Wire, *keys: str) -> Secret:
        """The token at `keys` in a success body (admin replies nest it in `result`)."""
        assert reply.status in (200, 201), reply
        value: Any = reply.body
        for key in keys:
            value = value[key]
        is_token = isinstance(value, Secret)
        assert is_token, reply
        return Secret(value)

    def account(self, credential: str, account_id: str, admin_user_id: str) -> Secret:
        body = as_json({"account_id": account_id, "admin_user_id": admin_user_id})
        reply = self.send("POST", ACCOUNTS, credential, JSON, data=body)
        return self.issued(reply, "result", "user_key")

    def user(self, credential: str, account_id: str, user_id: str) -> Secret:
        body = as_json({"user_id": user_id})
        reply = self.send("POST", f"{ACCOUNTS}/{account_id}/users", credential, JSON, data=body)
        return self.issued(reply, "result", "user_key")

    def token(self, credential: str, kind: str, **fields: str) -> tuple[str, Secret]:
        """A new PAT (`kind` "pats") or API token ("api-tokens"): its id and its value."""
        reply = self.send("POST", f"/me/{kind}", credential, JSON, data=as_json(fields))
        token = self.issued(reply, "token")
        return str(reply.body["id"]), token

    @staticmethod
    def _credentials(headers: tuple[str, ...]) -> list[str]:
        values = []
        for header in headers:
            name, _, value = header.partition(":")
            if name.strip().lower() in CREDENTIAL_HEADERS:
                value = value.strip()
                values.append(value)
                values.append(value.partition(" ")[2].strip())  # after the scheme
        return [value for value in values if len(value) >= MIN_SECRET_LENGTH]


def secret_parts(secret: str) -> list[str]:
    """The secret, and what is left of it without its public prefix (or around the dot)."""
    fmt = formats.format_for(secret)
    if fmt is None:
        return [secret]
    rest = secret[len(fmt.prefix) :]
    halves = [half for half in rest.split(".") if len(half) >= MIN_SECRET_LENGTH]
    return [secret, rest, *halves]


def expect(reply: Wire, status: int) -> None:
    assert reply.status == status, reply


def test_no_secret_reaches_the_server_log(live_server: LiveServer) -> None:
    """Why: a log file is read by far more people than the token database (seed 003)."""
    s = Session(live_server.url)

    # An account, its ADMIN and two USERs; a second account with its own ADMIN.
    alice = s.account(api_key(ROOT), "acme", "alice")
    bob = s.user(bearer(alice), "acme", "bob")
    carol = s.user(api_key(alice), "acme", "carol")
    gina = s.account(bearer(ROOT), "globex", "gina")
    users = f"{ACCOUNTS}/acme/users"

    # A PAT that expires in a moment (used now, checked again at the end).
    def short_lived_pat(expires_at: dt.datetime) -> Secret:
        short = {"name": "short", "scope": "read_write", "expiresAt": expires_at.isoformat()}
        return s.token(bearer(alice), "pats", **short)[1]

    def works(token: Secret) -> bool:
        headers = (bearer(token), api_key(token))
        return all(s.send("GET", "/auth/check", header).status == 200 for header in headers)

    short_lived, expiry = valid_until(short_lived_pat, works)

    # Tokens of every kind and scope, each working with both headers.
    created: dict[str, tuple[str, Secret]] = {}
    for kind, scopes in SCOPES_BY_KIND.items():
        for scope in scopes:
            label = f"{kind}-{scope}"
            created[label] = s.token(api_key(alice), kind, name=label, scope=scope)
    _, agent_pat = s.token(bearer(bob), "pats", name="bot", scope="read_write", agentId="agent-7")
    _, bob_api = s.token(api_key(bob), "api-tokens", name="script", scope="read")
    for token in [alice, bob, carol, gina, agent_pat, bob_api, *(t for _, t in created.values())]:
        for header in (bearer(token), api_key(token)):
            expect(s.send("GET", "/auth/check", header), 200)
    expect(s.send("GET", "/me/pats", bearer(created["pats-admin"][1])), 200)
    expect(s.send("GET", users, api_key(alice)), 200)

    # Rotated and deleted tokens, regenerated user keys: the old values answer 401.
    dead: list[Secret] = []
    for kind, label in [("pats", "pats-read_write"), ("api-tokens", "api-tokens-write")]:
        token_id, old = created[label]
        rotated = s.send("POST", f"/me/{kind}/{token_id}/rotate", bearer(alice))
        expect(s.send("GET", "/auth/check", api_key(s.issued(rotated, "token"))), 200)
        dead.append(old)
    for kind, label in [("pats", "pats-read"), ("api-tokens", "api-tokens-admin")]:
        token_id, old = created[label]
        expect(s.send("DELETE", f"/me/{kind}/{token_id}", api_key(alice)), 200)
        dead.append(old)
    new_bob = s.issued(s.send("POST", f"{users}/bob/key", bearer(alice)), "result", "user_key")
    new_carol = s.issued(s.send("POST", f"{users}/carol/key", api_key(ROOT)), "result", "user_key")
    dead += [bob, carol]
    for token in (new_bob, new_carol):
        expect(s.send("GET", "/auth/check", bearer(token)), 200)
    for token in dead:
        for header in (bearer(token), api_key(token)):
            expect(s.send("GET", "/auth/check", header), 401)

    # Invalid, tampered, forged and expired-looking credentials, in both headers.
    pat = created["pats-admin"][1]
    api_read = created["api-tokens-read"][1]
    kid, signing_secret = parse_signing_keys(SIGNING_KEYS)[0]
    payload = api_token_payload(api_read)
    forged: list[Secret] = [
        Secret(pat[:-1] + ("A" if pat[-1] != "A" else "B")),  # checksum fails
        Secret(formats.PERSONAL_ACCESS_TOKEN.generate()),  # well-formed, never issued
        Secret(formats.INVITE_TOKEN.generate()),  # an invite token is no credential
        with_payload(api_read, {**payload, "scope": "admin"}),  # tampered payload
        Secret(api_read[:-2] + ("AA" if api_read[-2:] != "AA" else "BB")),  # signature
        Secret(formats.API_TOKEN.sign(payload, "k1999", b"a signing key we never had")),
        Secret(formats.API_TOKEN.sign({**payload, "exp": 1_600_000_000}, kid, signing_secret)),
        Secret(ROOT + "x"),
        Secret(ROOT[:-1]),
    ]
    for token in forged:
        for header in (bearer(token), api_key(token)):
            expect(s.send("GET", "/auth/check", header), 401)
    for malformed in (
        f"Authorization: Basic {alice}",
        f"Authorization: Token {alice}",
        f"Authorization: {alice}",
        f"Authorization: Basic {ROOT}",
    ):
        expect(s.send("GET", "/me/pats", malformed), 401)
    expect(s.send("GET", "/auth/check", f"Authorization: bearer {alice}"), 200)

    # Tokens inside malformed or invalid JSON bodies, and bodies of the wrong type.
    role = f"{users}/bob/role"
    for method, path, data in [
        ("POST", "/me/pats", f'{{"name": "{pat}", '),
        ("POST", "/me/pats", as_json({"name": {"nested": pat}, "scope": api_read})),
        ("POST", "/me/api-tokens", as_json({"name": "x", "scope": api_read})),
        ("POST", "/me/pats", as_json([pat, ROOT])),
        ("POST", "/me/pats", f'{{"name": "x", "scope": "read", "expiresAt": "{pat}"}}'),
        ("PUT", role, as_json({"role": pat})),
        ("PUT", role, f'{{"role": "{ROOT}"'),
    ]:
        expect(
            s.send(method, path, api_key(ROOT if method == "PUT" else alice), JSON, data=data), 400
        )
    expect(s.send("POST", "/me/pats", bearer(alice), "Content-Type: text/plain", data=pat), 415)

    # An invite, made by ROOT and by the ADMIN, claimed without a bearer; replays refused.
    invites = "/api/v1/admin/invites"
    dana = as_json({"email": "dana@example.com", "account_id": "acme"})
    erin = as_json({"email": "erin@example.com", "account_id": "acme", "role": "admin"})
    first_reply = s.send("POST", invites, api_key(ROOT), JSON, data=dana)
    second_reply = s.send("POST", invites, bearer(alice), JSON, data=erin)
    first = s.issued(first_reply, "result", "invite_token")
    second = s.issued(second_reply, "result", "invite_token")
    claim = "/auth/invites/claim"
    expect(s.send("POST", claim, JSON, data=f'{{"token": "{first}", "password": '), 400)
    expect(s.send("POST", claim, JSON, data=as_json({"token": first, "password": "short"})), 400)
    expect(s.send("POST", claim, JSON, data=as_json({"token": pat, "password": PASSWORD})), 400)
    expect(s.send("POST", claim, JSON, data=as_json({"token": first, "password": PASSWORD})), 201)
    expect(s.send("POST", claim, JSON, data=as_json({"token": first, "password": PASSWORD})), 400)
    revoked_id = str(second_reply.body["result"]["id"])
    expect(s.send("DELETE", f"{invites}/{revoked_id}", api_key(alice)), 200)
    expect(s.send("POST", claim, JSON, data=as_json({"token": second, "password": PASSWORD})), 400)
    expect(s.send("GET", invites, bearer(ROOT)), 200)

    # The short-lived token has expired by now (or in a moment).
    wait_past(expiry)
    expired = s.send("GET", "/auth/check", bearer(short_lived))
    says_expired = expired.status == 401 and "expired" in expired.body["error"]["message"]
    assert says_expired, expired

    # Deleting a user and an account: their keys answer 401.
    expect(s.send("DELETE", f"{users}/carol", bearer(alice)), 200)
    expect(s.send("DELETE", f"{ACCOUNTS}/globex", api_key(ROOT)), 200)
    for token in (new_carol, gina):
        expect(s.send("GET", "/auth/check", api_key(token)), 401)
    expect(s.send("GET", "/health", "Authorization: Bearer garbage"), 200)

    # The log recorded this whole session (so finding nothing in it means something) ...
    log = ANSI_ESCAPE.sub("", live_server.log_text())
    logged = Counter(REQUEST_LINE.findall(log))
    missing = Counter(s.exchanges) - logged
    assert len(s.exchanges) > 100 and not missing, f"requests not in the server log: {missing}"

    # ... and none of the secrets that crossed the wire, nor the root key, is in it.
    assert len(s.secrets) > 30, "the session should have seen every kind of secret"
    leaked = [Secret(x) for x in s.secrets if any(part in log for part in secret_parts(x))]
    assert leaked == [], "raw secrets in the server log (shown redacted)"
    found = [Secret(token) for token in leaked_in(log)]
    assert found == [], "valid tokens in the server log (shown redacted)"
    assert s.echoed == [], "error replies must not echo the credential or token sent"


def test_a_token_pasted_into_a_url_is_redacted_in_the_access_log(live_server: LiveServer) -> None:
    """Clients do paste tokens into URLs; the request line must still not log them."""
    import requests

    from tests.support.api import Api
    from tests.support.databases import ROOT_KEY

    key = Api(base_url=live_server.url).create_account(ROOT_KEY, "acme", "alice")
    headers = {"Authorization": f"Bearer {key}"}
    requests.delete(f"{live_server.url}/me/pats/{key}", headers=headers, timeout=10)
    requests.get(f"{live_server.url}/auth/check?access_token={key}", headers=headers, timeout=10)
    log = live_server.log_text()
    assert (key in log) is False
    assert log.count(formats.redact(key)) >= 2  # both request lines are there, redacted
