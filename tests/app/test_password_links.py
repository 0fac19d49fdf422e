"""Password links: an existing user (one made through the admin API included) gets a password
for the web UI from an invite, an admin's action or "Forgot password?"; each link is mailed
(kept sealed in the outbox), works once and expires."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from time_machine import TimeMachineFixture

from scanner import formats
from tests.support.api import Api
from tests.support.secrets import Secret
from tests.support.smtp import Inbox

PASSWORD = "correct horse battery staple"
LINK = re.compile(r"https?://\S+/reset-password#(oi_inv_\S+)")


@pytest.fixture
def mailing_app(make_app: Callable[..., Flask], smtp_port: int) -> Flask:
    return make_app(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")


@pytest.fixture
def api(mailing_app: Flask) -> Api:
    return Api(mailing_app.test_client())


@pytest.fixture
def alice(api: Api, root_key: str) -> str:
    """alice, ADMIN of acme; bob, a USER made through the API with no email and no password."""
    key = api.create_account(root_key, "acme", "alice")
    api.register_user(key, "acme", "bob")
    return key


def send_due(app: Flask) -> tuple[int, int]:
    from app.services import mail

    with app.app_context():
        return mail.send_due()


def link_in(inbox: Inbox, to: str) -> Secret:
    """The token of the last link mailed to `to`."""
    (mail,) = [m for m in inbox.messages if m["To"] == to][-1:]
    found = LINK.search(mail.get_payload(decode=True).decode())  # type: ignore[union-attr]
    assert found, "no password link in the mail"
    return Secret(found.group(1))


def claim(api: Api, token: str, password: str = PASSWORD) -> Any:
    return api.call("POST", "/auth/invites/claim", json_body={"token": token, "password": password})


def password_link(api: Api, key: str, user: str, **body: str) -> Any:
    path = f"/api/v1/admin/accounts/acme/users/{user}/password-link"
    return api.call("POST", path, key, json_body=body)


def test_an_admin_mails_a_user_made_by_the_api_a_link_that_sets_their_password(
    api: Api, alice: str, mailing_app: Flask, inbox: Inbox
) -> None:
    created = password_link(api, alice, "bob", email="Bob@Example.com")
    assert created.status == 200, created
    assert created.body["result"]["url"].split("#")[0].endswith("/reset-password")
    assert send_due(mailing_app) == (1, 0)
    token = link_in(inbox, "bob@example.com")
    assert formats.identify(token) is formats.INVITE_TOKEN
    done = claim(api, token)
    assert done.status == 201 and done.body["userId"] == "bob" and done.body["role"] == "user"
    assert claim(api, token, "another long password").status == 400  # works once
    users = api.call("GET", "/api/v1/admin/accounts/acme/users", alice).body["result"]
    assert [u["user_id"] for u in users].count("bob") == 1  # the same user, not a new one


def test_a_user_without_an_email_needs_one_and_a_taken_email_is_409(
    api: Api, alice: str, root_key: str
) -> None:
    no_email = password_link(api, alice, "bob")
    assert no_email.status == 400 and "no email" in no_email.body["error"]["message"]
    account = {"account_id": "globex", "admin_user_id": "gina", "admin_email": "gina@example.com"}
    assert api.call("POST", "/api/v1/admin/accounts", root_key, json_body=account).status == 200
    taken = password_link(api, alice, "bob", email="GINA@example.com")
    assert taken.status == 409 and taken.error_code == "ALREADY_EXISTS"


def test_an_invite_for_an_existing_user_s_email_is_their_password_link(
    api: Api, alice: str, mailing_app: Flask
) -> None:
    assert password_link(api, alice, "bob", email="bob@example.com").status == 200
    body = {"email": "bob@example.com", "account_id": "acme", "role": "admin"}
    invite = api.call("POST", "/api/v1/admin/invites", alice, json_body=body)
    assert invite.status == 409  # the mailed link is still pending
    links = api.call("GET", "/api/v1/admin/invites", alice).body["result"]
    api.call("DELETE", f"/api/v1/admin/invites/{links[0]['id']}", alice)
    invite = api.call("POST", "/api/v1/admin/invites", alice, json_body=body)
    assert invite.status == 200 and "/reset-password#" in invite.body["result"]["url"]
    done = claim(api, Secret(invite.body["result"]["invite_token"]))
    assert done.status == 201 and done.body["userId"] == "bob"
    assert done.body["role"] == "user"  # an invite never changes an existing user's role


def test_a_link_expires_and_a_new_one_replaces_the_old(
    api: Api, alice: str, mailing_app: Flask, inbox: Inbox, time_machine: TimeMachineFixture
) -> None:
    start = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    password_link(api, alice, "bob", email="bob@example.com")
    send_due(mailing_app)
    first = link_in(inbox, "bob@example.com")
    password_link(api, alice, "bob")
    send_due(mailing_app)
    second = link_in(inbox, "bob@example.com")
    assert claim(api, first).status == 400  # replaced
    time_machine.move_to(start + dt.timedelta(minutes=61), tick=False)
    assert claim(api, second).status == 400  # expired after an hour


def test_the_outbox_keeps_the_link_sealed_and_drops_it_once_sent(
    api: Api, alice: str, mailing_app: Flask, database_url: str, inbox: Inbox
) -> None:
    password_link(api, alice, "bob", email="bob@example.com")
    raw_link = api.call("POST", "/api/v1/admin/accounts/acme/users/bob/password-link", alice)
    token = Secret(raw_link.body["result"]["invite_token"])
    engine = create_engine(database_url)
    with engine.connect() as connection:
        waiting = [row[0] for row in connection.execute(text("SELECT body FROM mail_outbox"))]
    assert waiting and all(token not in body and "oi_inv_" not in body for body in waiting)
    send_due(mailing_app)
    with engine.connect() as connection:
        sent = [row[0] for row in connection.execute(text("SELECT body FROM mail_outbox"))]
    engine.dispose()
    assert all("sealed:" not in body and "oi_inv_" not in body for body in sent)
    assert link_in(inbox, "bob@example.com") == token


def test_users_of_another_account_are_out_of_an_admin_s_reach(
    api: Api, alice: str, root_key: str
) -> None:
    gina = api.create_account(root_key, "globex", "gina")
    path = "/api/v1/admin/accounts/acme/users/bob/password-link"
    denied = api.call("POST", path, gina, json_body={"email": "x@example.com"})
    assert denied.status in (403, 404)
    member = api.register_user(alice, "acme", "carol")
    assert api.call("POST", path, member, json_body={"email": "x@example.com"}).status == 403
