"""Activate account: the invite token comes from the link's fragment, never back into a page."""

from __future__ import annotations

import re

from tests.support.api import Api
from tests.web.browser import Browser
from tests.web.conftest import PASSWORD, invite_token


def activate(browser: Browser, token: str, **fields: str) -> tuple[int, str, str | None]:
    data = {"token": token, "user_id": "", "password": PASSWORD, "confirm": PASSWORD, **fields}
    response = browser.submit("/invite", data)
    return response.status_code, response.get_data(as_text=True), response.location


def test_page_has_the_labelled_fields(browser: Browser) -> None:
    html = browser.get("/invite").get_data(as_text=True)
    assert "<h1>Activate account</h1>" in html
    for name, label in [
        ("token", "Invite token"),
        ("user_id", "User id (optional)"),
        ("password", "Password"),
        ("confirm", "Confirm password"),
    ]:
        assert f'<label for="{name}">{label}</label>' in html
    assert 'data-from-hash="oi_inv_"' in html and ">Activate account</button>" in html


def test_claim_signs_in_and_the_password_works_later(
    browser: Browser, api: Api, owner_key: str
) -> None:
    token = invite_token(api, owner_key, "Erin@Example.com", "user")
    status, _, location = activate(browser, token)
    assert (status, location) == (302, "/settings/tokens")
    assert "erin" in browser.get("/settings/tokens").get_data(as_text=True)
    browser.sign_out()
    assert browser.sign_in("erin@example.com", PASSWORD).status_code == 302
    status, html, _ = activate(browser, token)
    assert status == 400 and "invalid, expired, revoked or already claimed" in html
    assert token not in html


def test_chosen_user_id(browser: Browser, api: Api, owner_key: str) -> None:
    token = invite_token(api, owner_key, "frank@example.com", "admin")
    assert activate(browser, token, user_id="frank.b")[0] == 302
    assert "Admin</a>" in browser.get("/leaks").get_data(as_text=True)


def test_errors_keep_the_token_out_of_the_page(browser: Browser, api: Api, owner_key: str) -> None:
    token = invite_token(api, owner_key, "gina@example.com", "user")
    for fields in ({"password": "short", "confirm": "short"}, {"confirm": "something else!!"}):
        status, html, _ = activate(browser, token, **fields)
        assert status == 400 and token not in html
        assert re.search(r'<input[^>]* name="token" [^>]*value=""', html)
    status, html, _ = activate(browser, token, user_id="bad id")
    assert status == 400 and token not in html
    status, html, _ = activate(browser, "oi_inv_not-a-real-token")
    assert status == 400 and "invalid" in html
    assert activate(browser, token)[0] == 302
