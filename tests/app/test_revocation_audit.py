"""Every way a token dies leaves an audit event: who did it, to which token, and why.

Each path is taken through a public interface (the JSON API, the leak protocol, OAuth, the
operator's `oi server revoke`); the audit log is then read from the database, which is where an
operator reads it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.app.test_oauth import sign_in_tokens, token_call
from tests.support.api import Api
from tests.support.live_server import oi_command, server_environment
from tests.support.oauth_flow import PASSWORD, csrf_token, person_with_password

ACCOUNTS = "/api/v1/admin/accounts"


class Expected(NamedTuple):
    """An audit event the path must leave: its action, target, and (for tokens) reason."""

    action: str
    target: str
    reason: str | None = None


class World(NamedTuple):
    api: Api
    client: FlaskClient
    root_key: str
    alice: str  # acme's ADMIN user key
    database_url: str
    workdir: Path


def signed_in(world: World, user_id: str) -> FlaskClient:
    login = person_with_password(world.api, world.root_key, "acme", user_id)
    page = world.client.get("/login")
    form = {"login": login, "password": PASSWORD, "csrf_token": csrf_token(page.text)}
    assert world.client.post("/login", data=form).status_code == 302
    return world.client


def token_id(world: World, token: str) -> str:
    return str(world.api.call("GET", "/auth/check", token).body["tokenId"])


def delete_pat(world: World) -> list[Expected]:
    pat = world.api.create_token(world.alice, name="old")
    assert world.api.call("DELETE", f"/me/pats/{pat['id']}", world.alice).status == 200
    return [Expected("pat.revoke", pat["id"], "deleted")]


def rotate_api_token(world: World) -> list[Expected]:
    made = world.api.create_token(world.alice, "api-tokens", name="old", scope="read")
    reply = world.api.call("POST", f"/me/api-tokens/{made['id']}/rotate", world.alice, json_body={})
    assert reply.status == 201, reply
    return [Expected("api_token.rotate", made["id"], "rotated")]


def regenerate_user_key(world: World) -> list[Expected]:
    bob = world.api.register_user(world.alice, "acme", "bob")
    old_id = token_id(world, bob)
    reply = world.api.call("POST", f"{ACCOUNTS}/acme/users/bob/key", world.alice)
    assert reply.status == 200, reply
    return [Expected("user_key.regenerate", old_id, "regenerated")]


def remove_user(world: World) -> list[Expected]:
    world.api.register_user(world.alice, "acme", "bob")
    assert world.api.call("DELETE", f"{ACCOUNTS}/acme/users/bob", world.alice).status == 200
    return [Expected("user.delete", "acme/bob")]


def remove_account(world: World) -> list[Expected]:
    world.api.create_account(world.root_key, "globex", "gina")
    assert world.api.call("DELETE", f"{ACCOUNTS}/globex", world.root_key).status == 200
    return [Expected("account.delete", "globex")]


def leak_report(world: World) -> list[Expected]:
    pat = world.api.create_token(world.alice, name="leaked")
    body = {"tokens": [pat["token"]], "source": "ci", "location": {"path": "config.py"}}
    reply = world.api.call("POST", "/api/v1/leaks/revoke", json_body=body)
    assert reply.status == 200, reply
    return [Expected("pat.revoke", pat["id"], "leaked")]


def oauth_refresh_reuse(world: World) -> list[Expected]:
    """A refresh token used twice: its whole sign-in (family) is revoked."""
    client = signed_in(world, "eve")
    first = sign_in_tokens(client)
    access_id = token_id(world, first["access_token"])
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    assert token_call(client, **refresh).status_code == 200
    assert token_call(client, **refresh).status_code == 400  # the reuse
    return [
        Expected("oauth_refresh.refresh", refresh_id(world, first["refresh_token"]), "rotated"),
        Expected("oauth_access.revoke", access_id, "refresh_reused"),
    ]


def oauth_sign_out(world: World) -> list[Expected]:
    """RFC 7009: `oi logout` revokes the refresh token, and its family with it."""
    client = signed_in(world, "eve")
    pair = sign_in_tokens(client)
    access_id = token_id(world, pair["access_token"])
    reply = client.post(
        "/oauth/revoke", data={"client_id": "oi-cli", "token": pair["refresh_token"]}
    )
    assert reply.status_code == 200
    return [
        Expected("oauth_refresh.revoke", refresh_id(world, pair["refresh_token"]), "signed_out"),
        Expected("oauth_access.revoke", access_id, "signed_out"),
    ]


def operator_command(world: World) -> list[Expected]:
    pat = world.api.create_token(world.alice, name="incident")
    env = server_environment(world.database_url, world.workdir / "operator")
    done = subprocess.run(
        [*oi_command(), "server", "revoke", "--token-id", pat["id"]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return [Expected("pat.revoke", pat["id"], "operator")]


def refresh_id(world: World, raw: str) -> str:
    from app.extensions import db
    from app.models import Token
    from scanner import formats

    app: Flask = world.client.application
    with app.app_context():
        query = select(Token.id).where(Token.token_hash == formats.token_hash(raw))
        return str(db.session.scalars(query).one())


def audit_events(app: Flask) -> list[tuple[str, str, str | None, str]]:
    from app.extensions import db
    from app.models import AuditEvent

    with app.app_context():
        rows = db.session.scalars(select(AuditEvent)).all()
        return [(e.action, e.target, (e.detail or {}).get("reason"), e.actor) for e in rows]


PATHS: dict[str, Callable[[World], list[Expected]]] = {
    "delete": delete_pat,
    "rotate": rotate_api_token,
    "regenerate-key": regenerate_user_key,
    "remove-user": remove_user,
    "remove-account": remove_account,
    "leak-report": leak_report,
    "oauth-refresh-reuse": oauth_refresh_reuse,
    "oauth-sign-out": oauth_sign_out,
    "operator-command": operator_command,
}


@pytest.mark.parametrize("path", list(PATHS))
def test_every_revocation_path_leaves_an_audit_event(
    path: str,
    api: Api,
    app: Flask,
    client: FlaskClient,
    root_key: str,
    database_url: str,
    tmp_path: Path,
) -> None:
    alice = api.create_account(root_key, "acme", "alice")
    world = World(api, client, root_key, alice, database_url, tmp_path)
    expected = PATHS[path](world)
    events = audit_events(app)
    for action, target, reason in expected:
        found: list[Any] = [e for e in events if e[:2] == (action, target)]
        assert found, f"no {action} event for {target}; the log has {[e[:2] for e in events]}"
        assert reason is None or found[0][2] == reason, found
        assert found[0][3], "the event names no actor"
