"""Who may create, rotate and delete which token: one table of cases, every face answers alike.

Each case runs through the JSON API, the web form and the `oi` command (a real `oi serve` on the
same database). A face either allows the action (and the tokens change) or refuses it with a
permission error (and nothing changes). Cases that present a particular token run on the faces
that take one (API, `oi`); a person's own key stands for the whole role, as a web session does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.live_server import LiveServer
from tests.support.oi_cli import assert_no_raw_token, oi
from tests.web.browser import Browser
from tests.web.conftest import PASSWORD, invite_token

ROLE_KEY = "role key"  # the person's user key: their whole role, like a web session
FACES = ("api", "web", "oi")
USERS = "/api/v1/admin/accounts/acme/users"
SETTINGS = "/api/v1/admin/settings"


@dataclass(frozen=True)
class Case:
    name: str
    action: str  # create | rotate | delete
    scope: str  # of the token created, rotated or deleted
    role: str = "admin"  # admin | user | demoted (an ADMIN when the target was made, then USER)
    acting_with: str = ROLE_KEY  # or a PAT's scope, or "agent" (a read_write agent run PAT)
    pats_on: bool = True
    allowed: bool = False

    @property
    def faces(self) -> tuple[str, ...]:
        return FACES if self.acting_with == ROLE_KEY else ("api", "oi")


CASES = [
    Case("admin-creates-admin-pat", "create", "admin", allowed=True),
    Case("admin-rotates-admin-pat", "rotate", "admin", allowed=True),
    Case("admin-deletes-admin-pat", "delete", "admin", allowed=True),
    Case("user-creates-read_write-pat", "create", "read_write", role="user", allowed=True),
    Case("user-creates-admin-pat", "create", "admin", role="user"),
    Case("demoted-user-rotates-admin-pat", "rotate", "admin", role="demoted"),
    Case("demoted-user-deletes-admin-pat", "delete", "admin", role="demoted", allowed=True),
    Case("create-while-pats-are-off", "create", "read_write", pats_on=False),
    Case("rotate-while-pats-are-off", "rotate", "read_write", pats_on=False),
    Case("delete-while-pats-are-off", "delete", "read_write", pats_on=False, allowed=True),
    Case("read_write-pat-rotates-admin-pat", "rotate", "admin", acting_with="read_write"),
    Case("read_write-pat-creates-admin-pat", "create", "admin", acting_with="read_write"),
    Case(
        "read_write-pat-rotates-read_write-pat",
        "rotate",
        "read_write",
        acting_with="read_write",
        allowed=True,
    ),
    Case("read-pat-creates-read-pat", "create", "read", acting_with="read"),
    Case("agent-token-rotates-a-pat", "rotate", "read_write", acting_with="agent"),
    Case("agent-token-creates-a-pat", "create", "read_write", acting_with="agent"),
]


@dataclass
class World:
    """dana, the acting person: her role key, the token the action targets, what she acts with."""

    api: Api
    role_key: str
    target_id: str
    credential: str


def build_world(api: Api, case: Case) -> World:
    owner = api.create_account(ROOT_KEY, "acme", "owner")
    role = "user" if case.role == "user" else "admin"
    claim = {"token": invite_token(api, owner, "dana@example.com", role), "password": PASSWORD}
    claimed = api.call("POST", "/auth/invites/claim", json_body={**claim, "userId": "dana"})
    assert claimed.status == 201, claimed
    role_key = api.call("POST", f"{USERS}/dana/key", owner).body["result"]["user_key"]
    target_scope = case.scope if role == "admin" else "read"
    target = api.create_token(role_key, name="target", scope=target_scope)
    credential = role_key
    if case.acting_with != ROLE_KEY:
        fields: dict[str, Any] = {"name": "acting", "scope": case.acting_with}
        if case.acting_with == "agent":
            fields = {"name": "acting", "scope": "read_write", "agentId": "agent-7"}
        credential = api.create_token(role_key, **fields)["token"]
    if case.role == "demoted":
        demote = api.call("PUT", f"{USERS}/dana/role", ROOT_KEY, json_body={"role": "user"})
        assert demote.status == 200, demote
    if not case.pats_on:
        off = api.call("PATCH", SETTINGS, ROOT_KEY, json_body={"pats_enabled": False})
        assert off.status == 200, off
    return World(api, role_key, target["id"], credential)


def act_through_api(world: World, case: Case) -> bool:
    path = {"create": "/me/pats", "rotate": f"/me/pats/{world.target_id}/rotate"}.get(
        case.action, f"/me/pats/{world.target_id}"
    )
    method = "DELETE" if case.action == "delete" else "POST"
    body = {"name": "new", "scope": case.scope} if case.action == "create" else {}
    reply = world.api.call(method, path, world.credential, json_body=body)
    return answer(reply.status, reply.status in (200, 201), str(reply.body))


def act_through_web(client: FlaskClient, world: World, case: Case) -> bool:
    browser = Browser(client)
    assert browser.sign_in("dana", PASSWORD).status_code == 302
    if case.action == "create":  # the form's CSRF token from a page that always has a form
        fields = {"name": "new", "scope": case.scope}
        reply = browser.submit("/settings/tokens", fields, form_page="/settings/api-tokens")
    else:
        reply = browser.submit(f"/settings/tokens/{world.target_id}/{case.action}")
    return answer(reply.status_code, reply.status_code == 302, reply.get_data(as_text=True))


def act_through_oi(server: LiveServer, config_home: Path, world: World, case: Case) -> bool:
    created = ["--name", "new", "--scope", case.scope]
    args = ["tokens", case.action, *(created if case.action == "create" else [world.target_id])]
    env = {"OPENINDEX_APP_URL": server.url, "OPENINDEX_TOKEN": world.credential}
    done = oi(*args, config_home=config_home, **env)
    if done.returncode:
        assert_no_raw_token(done)
    refused = done.returncode == 1 and "permission denied" in done.stderr
    return answer(403 if refused else done.returncode, done.returncode == 0, repr(done))


def answer(status: int, allowed: bool, detail: str) -> bool:
    """Allowed, or refused with a permission error: any other answer fails the case."""
    assert allowed or status == 403, f"neither allowed nor refused ({status}): {detail[:300]}"
    return allowed


def tokens_changed(world: World, case: Case) -> bool:
    """Whether the action took effect, read back through the API with dana's role key."""
    listed = world.api.call("GET", "/me/pats", world.role_key).body
    names = {row["id"]: row["name"] for row in listed}
    if case.action == "create":
        return "new" in names.values()
    return world.target_id not in names


@pytest.mark.parametrize(
    ("case", "face"),
    [pytest.param(case, face, id=f"{case.name}[{face}]") for case in CASES for face in case.faces],
)
def test_every_face_gives_the_same_answer(
    case: Case, face: str, api: Api, client: FlaskClient, request: pytest.FixtureRequest
) -> None:
    world = build_world(api, case)
    if face == "api":
        allowed = act_through_api(world, case)
    elif face == "web":
        allowed = act_through_web(client, world, case)
    else:  # a real `oi serve` on the same database, started only for this face
        server: LiveServer = request.getfixturevalue("live_server")
        config_home = request.getfixturevalue("tmp_path") / "config"
        allowed = act_through_oi(server, config_home, world, case)
    assert allowed is case.allowed
    assert tokens_changed(world, case) is case.allowed
