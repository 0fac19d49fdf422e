"""Web UI fixtures: an account with an ADMIN and a USER who have passwords (set via invites)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from tests.support.api import Api
from tests.support.secrets import Secret
from tests.web.browser import Browser

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Person:
    user_id: str
    email: str
    password: str = PASSWORD


def invite_token(api: Api, key: str, email: str, role: str, account_id: str = "acme") -> str:
    return Secret(api.invite(key, account_id, email, role)["invite_token"])


def person_with_password(api: Api, key: str, user_id: str, role: str) -> Person:
    """A user made the way people get passwords: an invite, claimed."""
    email = f"{user_id}@example.com"
    claim = {"token": invite_token(api, key, email, role), "password": PASSWORD, "userId": user_id}
    reply = api.call("POST", "/auth/invites/claim", json_body=claim)
    assert reply.status == 201, reply
    return Person(user_id, email)


@pytest.fixture
def owner_key(api: Api, root_key: str) -> str:
    """The user key of the account's first ADMIN (no password: API only)."""
    return Secret(api.create_account(root_key, "acme", "owner"))


@pytest.fixture
def admin(api: Api, owner_key: str) -> Person:
    return person_with_password(api, owner_key, "dana", "admin")


@pytest.fixture
def member(api: Api, owner_key: str) -> Person:
    return person_with_password(api, owner_key, "carol", "user")


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def as_admin(browser: Browser, admin: Person) -> Browser:
    assert browser.sign_in(admin.user_id, admin.password).status_code == 302
    return browser


@pytest.fixture
def as_member(app: Flask, member: Person) -> Browser:
    other = Browser(app.test_client())
    assert other.sign_in(member.email, member.password).status_code == 302
    return other
