"""The web UI in a real browser: activate an invite, sign in and out, tokens shown once, leaks,
a phone-sized screen; and throughout, no raw token in a URL, a log or a later page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from scanner import formats
from tests.browser.conftest import PHONE, PageFactory
from tests.browser.people import (
    API_TOKENS_PAGE,
    LEAKED_REPO,
    TOKENS_PAGE,
    activate,
    cell,
    fill_sign_in,
    generate,
    invite,
    random_sha,
    redacted_pattern,
    report_leak,
    same,
    sign_in,
    sign_out,
    token_row,
)
from tests.browser.traffic import Traffic, hygiene_problems
from tests.support.api import Api
from tests.support.live_server import LiveServer
from tests.support.oauth_flow import PASSWORD
from tests.support.secrets import Secret


def test_invite_then_sign_out_and_in(
    page: Page, base_url: str, http: Api, live_server: LiveServer, traffic: Traffic
) -> None:
    invitation = invite(http, "acme", "dana@acme.example")
    activate(page, base_url, invitation)
    expect(page.get_by_role("heading", name="Personal access tokens", exact=True)).to_be_visible()
    expect(page.locator(".who")).to_contain_text("dana")

    sign_out(page, base_url)
    page.goto(base_url + TOKENS_PAGE)  # signed out: the page sends us to sign in first
    expect(page).to_have_url(re.compile(re.escape(base_url) + r"/login\?next=.*settings"))

    fill_sign_in(page, "dana@acme.example", "not the password at all")
    expect(page.get_by_role("alert")).to_have_text("Wrong user id, email or password.")
    fill_sign_in(page, "dana", PASSWORD)  # the user id works as well as the email
    expect(page).to_have_url(base_url + TOKENS_PAGE)

    sign_out(page, base_url)
    sign_in(page, base_url, "dana@acme.example")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # The invite is spent: the same link cannot make a second account.
    page.goto(invitation.link)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Activate account").click()
    expect(page.get_by_role("alert")).to_contain_text("already claimed")
    refilled = page.get_by_label("Invite token").input_value()
    assert refilled == "", "the refused form echoed the invite token back"

    log = live_server.log_text()
    assert hygiene_problems(traffic, log, [invitation.token]) == []
    assert traffic.problems() == []


def test_personal_token_is_shown_once_then_deleted(
    open_page: PageFactory, base_url: str, http: Api, live_server: LiveServer, traffic: Traffic
) -> None:
    page = open_page(permissions=["clipboard-read", "clipboard-write"])
    invitation = invite(http, "acme", "erin@acme.example")
    activate(page, base_url, invitation)

    raw = generate(page, base_url, TOKENS_PAGE, "laptop", "read_write")
    assert formats.identify(raw) is formats.PERSONAL_ACCESS_TOKEN, raw
    row = token_row(page, "laptop")
    expect(row).to_have_count(1)
    expect(cell(page, row, "Token")).to_have_text(redacted_pattern(raw))
    expect(cell(page, row, "Scope")).to_have_text("read_write")
    expect(cell(page, row, "Last used")).to_have_text("never")
    expect(cell(page, row, "Status")).to_have_text("active")

    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    copied = Secret(page.evaluate("navigator.clipboard.readText()"))
    assert same(copied, raw)

    assert http.call("GET", "/auth/check", raw).status == 200

    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    assert [Secret(t) for t in formats.TOKEN_SHAPED.findall(page.content())] == []
    expect(cell(page, row, "Token")).to_have_text(redacted_pattern(raw))
    expect(cell(page, row, "Last used")).not_to_have_text("never")

    row.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete token laptop?")).to_be_visible()
    page.get_by_role("button", name="Delete token").click()
    expect(page).to_have_url(base_url + TOKENS_PAGE)
    expect(page.get_by_text("Token laptop deleted.")).to_be_visible()
    expect(token_row(page, "laptop")).to_have_count(0)
    assert http.call("GET", "/auth/check", raw).status == 401

    log = live_server.log_text()
    secrets = [raw, invitation.token]
    assert hygiene_problems(traffic, log, secrets, {raw: TOKENS_PAGE}) == []
    assert traffic.problems() == []


def test_api_token_is_shown_once(
    page: Page, base_url: str, http: Api, live_server: LiveServer, traffic: Traffic
) -> None:
    activate(page, base_url, invite(http, "acme", "fay@acme.example"))
    page.get_by_role("link", name="API tokens").click()
    expect(page).to_have_url(base_url + API_TOKENS_PAGE)

    raw = generate(page, base_url, API_TOKENS_PAGE, "nightly-report", "read")
    assert formats.identify(raw) is formats.API_TOKEN, raw
    expect(cell(page, token_row(page, "nightly-report"), "Token")).to_have_text(
        redacted_pattern(raw)
    )
    check = http.call("GET", "/auth/check", raw)
    assert check.status == 200, check
    assert check.body["scope"] == "read"

    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    expect(token_row(page, "nightly-report")).to_have_count(1)

    log = live_server.log_text()
    assert hygiene_problems(traffic, log, [raw], {raw: API_TOKENS_PAGE}) == []
    assert traffic.problems() == []


def test_leaks_page_shows_what_leaked_where(
    open_page: PageFactory, base_url: str, http: Api, live_server: LiveServer, traffic: Traffic
) -> None:
    admin = open_page()
    activate(admin, base_url, invite(http, "acme", "gus@acme.example", role="admin"))
    leaked = generate(admin, base_url, TOKENS_PAGE, "deploy-key", "read_write")
    sha = random_sha()
    assert http.call("GET", "/auth/check", leaked).status == 200  # live until the report
    results = report_leak(http, [leaked], sha).body["results"]
    assert [result["result"] for result in results] == ["revoked"]
    assert http.call("GET", "/auth/check", leaked).status == 401

    admin.get_by_role("link", name="Leaks").click()
    expect(admin).to_have_url(base_url + "/leaks")
    mine = admin.get_by_role("region", name="Your leaked tokens").get_by_test_id("leak-row")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(redacted_pattern(leaked))
    expect(mine).to_contain_text("deploy-key")
    expect(mine).to_contain_text("config.py:3")
    expect(mine).to_contain_text(LEAKED_REPO)
    expect(mine).to_contain_text(f"commit {sha[:12]}")
    expect(mine.get_by_role("link")).to_have_count(0)  # a reporter's location is text, not a link
    expect(mine.locator("td").last).not_to_have_text("not revoked")

    chart = admin.get_by_test_id("leak-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", re.compile(r": 1 in all, at most 1 a day$"))
    expect(chart.locator("rect:not([height='0.0']):not([height='0'])")).to_have_count(1)

    # A plain user sees their own leaks, and neither the chart nor anyone else's.
    user = open_page()
    activate(user, base_url, invite(http, "acme", "hal@acme.example"))
    theirs = generate(user, base_url, TOKENS_PAGE, "hal-laptop")
    report_leak(http, [theirs], random_sha(), path="notes.txt")
    user.goto(base_url + "/leaks")
    expect(user.get_by_test_id("leak-row")).to_have_count(1)
    expect(user.get_by_test_id("leak-row")).to_contain_text("hal-laptop")
    expect(user.get_by_test_id("leak-chart")).to_have_count(0)

    admin.reload()
    account = admin.get_by_role("region", name="Leaked tokens in the account")
    expect(account.get_by_test_id("leak-row")).to_have_count(2)
    expect(account.get_by_test_id("leak-row").filter(has_text="hal-laptop")).to_contain_text("hal")
    expect(chart).to_have_attribute("aria-label", re.compile(r": 2 in all, at most 2 a day$"))

    log = live_server.log_text()
    shown = {leaked: TOKENS_PAGE, theirs: TOKENS_PAGE}
    assert hygiene_problems(traffic, log, [leaked, theirs], shown) == []
    assert traffic.problems() == []


def test_tokens_page_fits_a_phone(
    open_page: PageFactory, base_url: str, http: Api, traffic: Traffic
) -> None:
    page = open_page(viewport=PHONE)
    activate(page, base_url, invite(http, "acme", "ivy@acme.example"))
    generate(page, base_url, TOKENS_PAGE, "phone-one")
    generate(page, base_url, TOKENS_PAGE, "a token with a rather long descriptive name")
    expect(page.get_by_test_id("token-row")).to_have_count(2)

    for path in (TOKENS_PAGE, API_TOKENS_PAGE, "/leaks"):
        if page.url != base_url + path:
            page.goto(base_url + path)
        overflow = page.evaluate(
            "[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
        )
        assert max(overflow[:2]) <= PHONE["width"], (path, overflow)
        buttons = page.get_by_role("button")
        assert buttons.count() >= 1, path  # Sign out, and Generate token on the token pages
        for button in buttons.all():
            expect(button).to_be_visible()
            box = button.bounding_box()
            assert box is not None
            name = button.inner_text()
            inside = box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
            assert inside, (path, name, box)
    assert traffic.problems() == []
