"""Invites: created by admins, claimed once without a bearer, setting the user's password."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from scanner import formats
from tests.support.api import Api

PASSWORD = "correct horse battery staple"


@pytest.fixture
def alice(api: Api, root_key: str) -> str:
    return api.create_account(root_key, "acme", "alice")


def invite(
    api: Api, token: str, email: str = "Carol@Example.com", role: str = "user"
) -> dict[str, Any]:
    reply = api.call(
        "POST",
        "/api/v1/admin/invites",
        token,
        json_body={"email": email, "account_id": "acme", "role": role},
    )
    assert reply.status == 200, reply
    result: dict[str, Any] = reply.body["result"]
    return result


def test_invite_then_claim_creates_the_user_with_a_password(
    api: Api, alice: str, app: Flask
) -> None:
    created = invite(api, alice)
    assert formats.identify(created["invite_token"]) is formats.INVITE_TOKEN
    assert created["url"].endswith("#" + created["invite_token"]) and "?" not in created["url"]
    claimed = api.call(
        "POST",
        "/auth/invites/claim",
        json_body={"token": created["invite_token"], "password": PASSWORD},
    )
    assert claimed.status == 201
    assert claimed.body == {
        "accountId": "acme",
        "userId": "carol",
        "email": "carol@example.com",
        "role": "user",
    }
    from app.services import accounts, passwords

    with app.app_context():
        user = accounts.get_user("acme", "carol")
        assert passwords.verify_password(user.password_hash, PASSWORD)
        assert not passwords.verify_password(user.password_hash, "wrong password!!")
    listed = api.call("GET", "/api/v1/admin/invites", alice).body["result"]
    assert [(i["status"], i["claimed_user_id"]) for i in listed] == [("claimed", "carol")]


def test_an_invite_is_single_use(api: Api, alice: str) -> None:
    token = invite(api, alice)["invite_token"]
    body = {"token": token, "password": PASSWORD, "userId": "carol"}
    assert api.call("POST", "/auth/invites/claim", json_body=body).status == 201
    again = api.call("POST", "/auth/invites/claim", json_body={**body, "userId": "carol2"})
    assert again.status == 400 and again.error_code == "INVALID_ARGUMENT"


def test_revoked_and_forged_invites_are_refused(api: Api, alice: str) -> None:
    created = invite(api, alice)
    revoked = api.call("DELETE", f"/api/v1/admin/invites/{created['id']}", alice)
    assert revoked.body["result"]["status"] == "revoked"
    for token in (created["invite_token"], formats.INVITE_TOKEN.generate(), "oi_inv_nonsense"):
        reply = api.call(
            "POST", "/auth/invites/claim", json_body={"token": token, "password": PASSWORD}
        )
        assert reply.status == 400


def test_users_cannot_invite(api: Api, alice: str) -> None:
    bob = api.register_user(alice, "acme", "bob")
    reply = api.call(
        "POST",
        "/api/v1/admin/invites",
        bob,
        json_body={"email": "x@example.com", "account_id": "acme"},
    )
    assert reply.status == 403


def test_a_second_pending_invite_for_one_address_is_409(api: Api, alice: str) -> None:
    first = invite(api, alice, "carol@example.com")
    body = {"email": " CAROL@example.com", "account_id": "acme", "role": "user"}
    again = api.call("POST", "/api/v1/admin/invites", alice, json_body=body)
    assert again.status == 409 and again.error_code == "ALREADY_EXISTS"
    assert first["id"] in again.body["error"]["message"]
    api.call("DELETE", f"/api/v1/admin/invites/{first['id']}", alice)
    assert invite(api, alice, "carol@example.com")["id"] != first["id"]  # revoked: free again
