"""'Forgot password?' on the sign-in page and an admin's 'Password link': a mailed link that sets
a new password once, ends the user's other sessions, and tells nobody which addresses exist."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from tests.support.api import Api
from tests.support.live_server import free_port
from tests.support.secrets import Secret
from tests.support.smtp import Inbox, running_inbox
from tests.web.browser import Browser
from tests.web.conftest import Person

LINK = re.compile(r"/reset-password#(oi_inv_\S+)")
NEW_PASSWORD = "a brand new long password"
SENT = "If an account with an email matches, a link to set a new"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    with running_inbox(smtp_port) as received:
        yield received


@pytest.fixture
def app(make_app: Callable[..., Flask], smtp_port: int) -> Flask:
    return make_app(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")


def mailed_link(app: Flask, inbox: Inbox, to: str) -> Secret:
    from app.services import mail

    with app.app_context():
        mail.send_due()
    mails = [m for m in inbox.messages if m["To"] == to]
    assert mails, f"no mail to {to}"
    found = LINK.search(mails[-1].get_payload(decode=True).decode())  # type: ignore[union-attr]
    assert found, "no password link in the mail"
    return Secret(found.group(1))


def text_of(response: object) -> str:
    return " ".join(response.get_data(as_text=True).split())  # type: ignore[attr-defined]


def test_forgot_password_mails_a_link_that_sets_a_new_password_once(
    app: Flask, browser: Browser, admin: Person, inbox: Inbox
) -> None:
    elsewhere = Browser(app.test_client())
    assert elsewhere.sign_in(admin.email, admin.password).status_code == 302
    assert "Forgot password?" in text_of(browser.get("/login"))
    asked = browser.submit("/forgot-password", {"login": admin.email})
    assert asked.status_code == 200 and SENT in text_of(asked)
    token = mailed_link(app, inbox, admin.email)
    page = browser.get("/reset-password")
    assert page.status_code == 200 and "Set a new password" in text_of(page)
    form = {"token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    done = browser.submit("/reset-password", form)
    assert done.status_code == 302  # signed in
    assert token not in done.get_data(as_text=True)
    again = Browser(app.test_client()).submit("/reset-password", form)
    assert again.status_code == 400  # the link works once
    assert elsewhere.get("/leaks").status_code == 302  # the other session ended
    fresh = Browser(app.test_client())
    assert fresh.sign_in(admin.email, admin.password).status_code == 401
    assert fresh.sign_in(admin.email, NEW_PASSWORD).status_code == 302


def test_forgot_password_answers_the_same_for_an_unknown_address(
    app: Flask, browser: Browser, inbox: Inbox
) -> None:
    asked = browser.submit("/forgot-password", {"login": "nobody@example.com"})
    assert asked.status_code == 200 and SENT in text_of(asked)
    from app.services import mail

    with app.app_context():
        assert mail.send_due() == (0, 0)
    assert inbox.messages == []


def test_forgot_password_is_throttled_per_address_and_login(
    browser: Browser, admin: Person, inbox: Inbox
) -> None:
    answers = [browser.submit("/forgot-password", {"login": admin.email}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]


def test_an_admin_mails_a_member_a_password_link(
    app: Flask, as_admin: Browser, api: Api, owner_key: str, inbox: Inbox
) -> None:
    api.register_user(owner_key, "acme", "erin")  # made without an email or a password
    users = text_of(as_admin.get("/admin/users"))
    assert "/admin/users/erin/password-link" in as_admin.get("/admin/users").get_data(as_text=True)
    assert "Password link" in users
    form = as_admin.get("/admin/users/erin/password-link")
    assert form.status_code == 200 and "They have no email yet" in text_of(form)
    sent = as_admin.submit(
        "/admin/users/erin/password-link", {"email": "erin@example.com"}, follow=True
    )
    assert (
        sent.status_code == 200
        and "password link for erin is on its way to" in text_of(sent).lower()
    )
    token = mailed_link(app, inbox, "erin@example.com")
    form = {"token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert Browser(app.test_client()).submit("/reset-password", form).status_code == 302
    assert Browser(app.test_client()).sign_in("erin@example.com", NEW_PASSWORD).status_code == 302
