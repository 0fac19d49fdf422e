"""Pictures of the main pages for the docs: written to docs/screenshots/ only when
TOKENPATROL_SCREENSHOTS=1 (otherwise to a temporary folder, so a test run leaves the tree clean).

The instance is a throwaway test server; the token shown in tokens.png is dead with it.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from tests.browser.conftest import PageFactory
from tests.browser.people import (
    TOKENS_PAGE,
    activate,
    fill_sign_in,
    generate,
    invite,
    open_consent,
    random_sha,
    report_leak,
    token_row,
)
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.oauth_flow import CLIENT_ID, Pkce, authorize_path, person_with_password
from tests.support.secrets import Secret

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Days ago each leak report is moved to, so the chart shows a month rather than one bar.
REPORTED_DAYS_AGO = (0, 1, 1, 3, 3, 3, 8, 12, 19, 26)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = DOCS_SCREENSHOTS if os.environ.get("TOKENPATROL_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def spread_over_the_month(database_url: str) -> None:
    """Backdate the leak reports (and the revocations they caused) across the last 30 days."""
    from app.models import LeakEvent, Token

    now = dt.datetime.now(dt.UTC)
    engine = create_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            events = session.execute(
                select(LeakEvent.id, LeakEvent.token_id).order_by(LeakEvent.id)
            )
            for (event_id, token_id), days in zip(events.all(), REPORTED_DAYS_AGO, strict=False):
                moment = now - dt.timedelta(days=days)
                session.execute(
                    update(LeakEvent).where(LeakEvent.id == event_id).values(reported_at=moment)
                )
                session.execute(update(Token).where(Token.id == token_id).values(revoked_at=moment))
    finally:
        engine.dispose()


def test_tokens_and_leaks_pages(
    open_page: PageFactory, base_url: str, http: Api, database_url: str, shots: Path
) -> None:
    ops_key = http.create_account(ROOT_KEY, "acme", "ops")
    keys = {"ops": ops_key, "bob": http.register_user(ops_key, "acme", "bob")}
    page = open_page()
    activate(page, base_url, invite(http, "acme", "alice@acme.example", role="admin"))

    generate(page, base_url, TOKENS_PAGE, "laptop")
    generate(page, base_url, TOKENS_PAGE, "release-bot", "admin")
    expect(token_row(page, "laptop")).to_have_count(1)
    # The value is masked: even a throwaway instance's token does not belong in the docs.
    page.screenshot(
        path=shots / "tokens.png", full_page=True, mask=[page.get_by_test_id("new-token")]
    )

    leaked = [generate(page, base_url, TOKENS_PAGE, "old-laptop")]
    names = ("ci-deploy", "staging-sync", "grafana", "backup-job", "notebook", "s3-upload", "k8s")
    for i, name in enumerate(names):
        owner = keys["bob" if i % 2 else "ops"]
        kind = "api-tokens" if i % 3 == 2 else "pats"
        leaked.append(Secret(http.create_token(owner, kind, name=name)["token"]))
    places = ("settings.py", "deploy/.env", "README.md", "ci/deploy.yml", "notebooks/a.ipynb")
    for i, raw in enumerate(leaked):
        report_leak(http, [raw], random_sha(), path=places[i % len(places)])
    spread_over_the_month(database_url)

    page.goto(base_url + "/leaks")
    expect(page.get_by_test_id("leak-row")).to_have_count(
        len(leaked) + 1
    )  # mine, then the account's
    bars = page.get_by_test_id("leak-chart").locator("rect:not([height='0.0'])")
    expect(bars).to_have_count(len(set(REPORTED_DAYS_AGO[: len(leaked)])))
    page.screenshot(path=shots / "leaks.png", full_page=True)


def test_consent_page(open_page: PageFactory, base_url: str, http: Api, shots: Path) -> None:
    login = person_with_password(http, ROOT_KEY, "acme", "alice")
    page = open_page()
    path = authorize_path("http://127.0.0.1:53682/callback", Pkce.new(), state="docs")
    open_consent(page, base_url, login, path)
    page.screenshot(path=shots / "consent.png", full_page=True)


def test_password_reset_page(open_page: PageFactory, base_url: str, http: Api, shots: Path) -> None:
    key = http.create_account(ROOT_KEY, "acme", "ops")
    http.register_user(key, "acme", "bob")  # made by the API: no email, no password
    path = "/api/v1/admin/accounts/acme/users/bob/password-link"
    link = http.call("POST", path, key, json_body={"email": "bob@acme.example"}).body["result"]
    page = open_page()
    page.goto(link["url"])
    filled = page.get_by_label("Link token").input_value() == link["invite_token"]
    assert filled and "#" not in page.url, "the page did not take the token from the link"
    page.get_by_label("New password").fill("a brand new long password")
    page.get_by_label("Confirm password").fill("a brand new long password")
    page.screenshot(
        path=shots / "password-reset.png", full_page=True, mask=[page.get_by_label("Link token")]
    )
    page.get_by_role("button", name="Set password").click()
    expect(page).to_have_url(base_url + TOKENS_PAGE)


def test_device_code_page(open_page: PageFactory, base_url: str, http: Api, shots: Path) -> None:
    """Where `oi login --device` sends people: its link, after sign-in, with the code filled in."""
    login = person_with_password(http, ROOT_KEY, "acme", "alice")
    started = requests.post(
        base_url + "/oauth/device_authorization",
        data={"client_id": CLIENT_ID, "scope": "read_write"},
        timeout=30,
    ).json()
    page = open_page()
    page.goto(started["verification_uri_complete"])
    fill_sign_in(page, login)
    expect(page.get_by_label("Code")).to_have_value(started["user_code"])
    page.screenshot(path=shots / "device-code.png", full_page=True)
