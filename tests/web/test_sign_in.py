"""Signing in and out: one message for every failure, throttled failures, no open redirect."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from time_machine import TimeMachineFixture

from app.services import passwords
from tests.web.browser import Browser, new_token
from tests.web.conftest import Person

WRONG = "Wrong user id, email or password."
JUST_BEFORE_A_MINUTE_TURNS = dt.datetime(2026, 12, 1, 9, 59, 59, 900_000, tzinfo=dt.UTC)


def test_login_page_has_labelled_fields_and_button(browser: Browser) -> None:
    html = browser.get("/login").get_data(as_text=True)
    assert '<label for="login">User id or email</label>' in html
    assert '<label for="password">Password</label>' in html
    assert '<button type="submit" class="primary">Sign in</button>' in html


@pytest.mark.parametrize("login", ["dana", "dana@example.com", "DANA@Example.com"])
def test_sign_in_by_user_id_or_email_lands_on_tokens(
    browser: Browser, admin: Person, login: str
) -> None:
    signed_in = browser.sign_in(login, admin.password)
    assert signed_in.status_code == 302 and signed_in.location == "/settings/tokens"
    page = browser.get("/settings/tokens")
    assert page.status_code == 200 and "Personal access tokens" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("login", "password"),
    [("dana", "wrong password here"), ("nobody", "whatever password"), ("owner", "no password")],
)
def test_every_failure_says_the_same_with_401(
    browser: Browser, admin: Person, login: str, password: str
) -> None:
    failed = browser.sign_in(login, password)
    assert failed.status_code == 401
    assert WRONG in failed.get_data(as_text=True)
    assert browser.get("/settings/tokens").status_code == 302


def counted_verifies(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The password hash of every argon2 verify a sign-in costs, appended as it runs."""
    checked: list[str | None] = []
    real = passwords.verify_password

    def counted(password_hash: str | None, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counted)
    return checked


def test_unknown_users_cost_an_argon2_verify_too(
    browser: Browser, admin: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = counted_verifies(monkeypatch)
    browser.sign_in("nobody", "some password")
    browser.sign_in("owner", "some password")  # exists, but has no password
    assert len(checked) == 2 and all(h and h.startswith("$argon2") for h in checked)


def test_failed_sign_ins_are_throttled_and_successes_do_not_count(
    browser: Browser, admin: Person, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(JUST_BEFORE_A_MINUTE_TURNS, tick=False)  # every attempt at one instant
    statuses = [browser.sign_in("Dana", "wrong password!").status_code for _ in range(4)]
    statuses.append(browser.sign_in("dana", admin.password).status_code)
    statuses.append(browser.sign_in("DANA", "wrong password!").status_code)
    assert statuses == [401, 401, 401, 401, 302, 401]
    limited = browser.sign_in("dana", admin.password)
    assert limited.status_code == 429
    assert "Too many failed sign-ins. Try again in 60 seconds." in limited.get_data(as_text=True)
    assert limited.headers["Retry-After"] == "60"
    assert browser.sign_in("someone-else", "wrong password!").status_code == 401


@pytest.mark.parametrize(
    "start",
    [
        JUST_BEFORE_A_MINUTE_TURNS,
        JUST_BEFORE_A_MINUTE_TURNS + dt.timedelta(seconds=0.1),
        JUST_BEFORE_A_MINUTE_TURNS + dt.timedelta(seconds=30.1),
    ],
    ids=["0.1s-before-the-minute", "on-the-minute", "half-way"],
)
def test_five_failures_in_any_minute_lock_out_wherever_the_minute_turns(
    browser: Browser, admin: Person, time_machine: TimeMachineFixture, start: dt.datetime
) -> None:
    """A moving window: no burst gets through at a window's edge, and the lock-out ends exactly
    when the oldest failure is a minute old."""
    time_machine.move_to(start, tick=False)
    statuses = [browser.sign_in("dana", "wrong password!").status_code for _ in range(4)]
    time_machine.shift(0.2)  # for the first start, the clock's minute turns here
    statuses.append(browser.sign_in("dana", "wrong password!").status_code)
    statuses.append(browser.sign_in("dana", admin.password).status_code)
    time_machine.shift(59.7)  # 59.9 s after the first four failures
    statuses.append(browser.sign_in("dana", admin.password).status_code)
    assert statuses == [401] * 5 + [429, 429]
    time_machine.shift(0.2)  # 60.1 s: the first four have aged out, the fifth has not
    assert browser.sign_in("dana", admin.password).status_code == 302
    assert browser.sign_out().status_code == 302
    statuses = [browser.sign_in("dana", "wrong password!").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]


def test_rate_limit_comes_from_config(make_app: Any, admin: Person) -> None:
    browser = Browser(make_app(LOGIN_RATE_LIMIT="2/minute").test_client())
    statuses = [browser.sign_in("dana", "wrong password!").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_next_path_is_followed(browser: Browser, admin: Person) -> None:
    page = browser.get("/login?next=/leaks").get_data(as_text=True)
    assert 'action="/login?next=/leaks"' in page
    assert browser.sign_in("dana", admin.password, "/leaks").location == "/leaks"


def test_pages_send_anonymous_visitors_to_sign_in_and_back(browser: Browser, admin: Person) -> None:
    sent = browser.get("/settings/api-tokens?x=1")
    assert sent.status_code == 302
    assert sent.location == "/login?next=/settings/api-tokens?x%3D1"
    back = browser.sign_in("dana", admin.password, "/settings/api-tokens%3Fx%3D1")
    assert back.location == "/settings/api-tokens?x=1"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/%5Cevil.example",
        "%2F%2Fevil.example",
        "javascript:alert(1)",
        "/%09/evil.example",
        "evil.example",
    ],
)
def test_next_never_leaves_the_site(browser: Browser, admin: Person, target: str) -> None:
    assert browser.sign_in("dana", admin.password, target).location == "/settings/tokens"


def test_root_redirects_by_session(browser: Browser, admin: Person) -> None:
    assert browser.get("/").location == "/login"
    browser.sign_in("dana", admin.password)
    assert browser.get("/").location == "/settings/tokens"


def test_sign_out_is_a_post_that_ends_the_session(browser: Browser, admin: Person) -> None:
    browser.sign_in("dana", admin.password)
    assert '<button type="submit">Sign out</button>' in browser.get("/leaks").get_data(True)
    assert browser.client.get("/logout").status_code == 405
    signed_out = browser.sign_out()
    assert signed_out.status_code == 302 and signed_out.location == "/login"
    assert browser.get("/leaks").status_code == 302


def test_a_password_change_ends_older_sessions(app: Flask, browser: Browser, admin: Person) -> None:
    browser.sign_in("dana", admin.password)
    assert browser.get("/leaks").status_code == 200
    from app.extensions import db
    from app.services import accounts

    with app.app_context():
        accounts.get_user("acme", "dana").password_hash = passwords.hash_password("a new password!")
        db.session.commit()
    assert browser.get("/leaks").status_code == 302


def test_sign_in_without_csrf_token_is_refused(browser: Browser, admin: Person) -> None:
    refused = browser.client.post("/login", data={"login": "dana", "password": admin.password})
    assert refused.status_code == 400
    assert "text/html" in refused.content_type


def test_one_address_trying_many_login_names_is_throttled_too(
    make_app: Any,
    admin: Person,
    monkeypatch: pytest.MonkeyPatch,
    time_machine: TimeMachineFixture,
) -> None:
    """Red-team finding 9: 40 names from one address all got 401 and an argon2 verify each."""
    time_machine.move_to(JUST_BEFORE_A_MINUTE_TURNS, tick=False)  # however slow argon2 runs
    checked = counted_verifies(monkeypatch)
    browser = Browser(make_app(LOGIN_ADDRESS_RATE_LIMIT="10/minute").test_client())
    statuses = [browser.sign_in(f"name-{n}", "wrong password!").status_code for n in range(40)]
    assert statuses == [401] * 10 + [429] * 30
    assert len(checked) == 10, "a refused attempt still cost an argon2 verify"
    assert browser.sign_in("dana", admin.password).status_code == 429


def test_the_per_address_limit_defaults_to_20_failures_a_minute(
    make_app: Any, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(JUST_BEFORE_A_MINUTE_TURNS, tick=False)
    browser = Browser(make_app().test_client())
    statuses = [browser.sign_in(f"name-{n}", "wrong password!").status_code for n in range(21)]
    assert statuses == [401] * 20 + [429]


def copy_of_the_cookie(app: Flask, browser: Browser) -> Browser:
    """A second browser holding a copy of the first one's session cookie, as a thief would."""
    cookie = browser.client.get_cookie("session")
    assert cookie is not None
    thief = Browser(app.test_client())
    thief.client.set_cookie("session", cookie.value)
    return thief


def test_a_cookie_copied_before_sign_out_stops_working(
    app: Flask, browser: Browser, admin: Person
) -> None:
    """Red-team finding 12: a session cookie copied before POST /logout still opened pages."""
    browser.sign_in("dana", admin.password)
    thief = copy_of_the_cookie(app, browser)
    assert thief.get("/settings/tokens").status_code == 200  # the copy works while signed in
    assert browser.sign_out().status_code == 302
    assert thief.get("/settings/tokens").status_code == 302
    assert browser.get("/settings/tokens").status_code == 302


def test_a_new_token_is_shown_once_even_to_a_replayed_cookie(
    app: Flask, browser: Browser, admin: Person
) -> None:
    """Red-team finding 12: replaying the cookie from right after creation showed the token
    again within the 10-minute window."""
    browser.sign_in("dana", admin.password)
    created = browser.submit("/settings/tokens", {"name": "laptop", "scope": "read"})
    assert created.status_code == 302
    thief = copy_of_the_cookie(app, browser)
    first = new_token(browser.get("/settings/tokens").get_data(as_text=True))
    assert first is not None
    replayed = thief.get("/settings/tokens")
    assert replayed.status_code == 200 and new_token(replayed.get_data(as_text=True)) is None
    assert new_token(browser.get("/settings/tokens").get_data(as_text=True)) is None


def test_a_user_id_taken_in_another_account_cannot_lock_its_owner_out(
    browser: Browser, admin: Person, api: Any, root_key: str
) -> None:
    """Red-team finding 15: an invitee in another account took `dana` as their user id, and
    the real dana could no longer sign in by id."""
    api.create_account(root_key, "globex", "dana")  # the same id, another account
    assert browser.sign_in("acme/dana", admin.password).status_code == 302
    assert browser.sign_out().status_code == 302
    assert browser.sign_in("dana", admin.password).status_code == 401  # no longer one person
    assert browser.sign_in("globex/dana", admin.password).status_code == 401
