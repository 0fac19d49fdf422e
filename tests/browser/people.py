"""What a person does on the tokenpatrol pages, through a real browser (labels and button names
are the ones the contract promises: every field labelled, every button named by its text)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from playwright.sync_api import Locator, Page, expect

from scanner import formats
from tests.support.api import Api, Reply
from tests.support.databases import ROOT_KEY
from tests.support.oauth_flow import PASSWORD
from tests.support.secrets import Secret

TOKENS_PAGE = "/settings/tokens"
API_TOKENS_PAGE = "/settings/api-tokens"
LEAKED_REPO = "https://github.com/acme/app"


@dataclass(frozen=True)
class Invitation:
    token: Secret
    link: str = field(repr=False)  # <base>/invite#<invite token>
    email: str


def same(left: str, right: str) -> bool:
    """Equality whose failure pytest reports by the arguments' reprs (redacted for a Secret)."""
    return left == right


def invite(http: Api, account_id: str, email: str, role: str = "user") -> Invitation:
    """The root key makes the account (if new) and an invite into it."""
    http.call(
        "POST",
        "/api/v1/admin/accounts",
        ROOT_KEY,
        json_body={"account_id": account_id, "admin_user_id": f"{account_id}-admin"},
    )
    result = http.invite(ROOT_KEY, account_id, email, role)
    return Invitation(Secret(result["invite_token"]), str(result["url"]), email)


def activate(page: Page, base_url: str, invitation: Invitation, password: str = PASSWORD) -> None:
    """Open the invite link, choose a password, and land signed in on the tokens page."""
    page.goto(invitation.link)
    filled = Secret(page.get_by_label("Invite token").input_value())
    assert same(filled, invitation.token), "the page did not take the token from the link"
    cleared = "#" not in page.url
    assert cleared, "the invite token stayed in the address bar"
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm password").fill(password)
    page.get_by_role("button", name="Activate account").click()
    expect(page).to_have_url(base_url + TOKENS_PAGE)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_in(page: Page, base_url: str, login: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/login")
    fill_sign_in(page, login, password)
    expect(page).to_have_url(base_url + TOKENS_PAGE)


def fill_sign_in(page: Page, login: str, password: str = PASSWORD) -> None:
    page.get_by_label("User id or email").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def open_consent(page: Page, base_url: str, login: str, path: str) -> None:
    """Start where `oi login` sends the browser; sign in when asked; stop at the consent page."""
    page.goto(base_url + path)
    expect(page).to_have_url(re.compile(re.escape(base_url) + r"/login\?next=%2Foauth%2Fauthorize"))
    fill_sign_in(page, login)
    expect(page).to_have_url(re.compile(re.escape(base_url) + r"/oauth/authorize\?"))
    expect(page.get_by_role("heading", name=re.compile("^Authorize "))).to_be_visible()


def sign_out(page: Page, base_url: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(base_url + "/login")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def generate(page: Page, base_url: str, path: str, name: str, scope: str = "read_write") -> Secret:
    """Fill the create form on a tokens page; the new value, read once from the banner."""
    if page.url != base_url + path:
        page.goto(base_url + path)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Scope").select_option(scope)
    page.get_by_role("button", name="Generate token").click()
    expect(page).to_have_url(base_url + path)
    shown = page.get_by_test_id("new-token")
    expect(shown).to_be_visible()
    return Secret(shown.inner_text().strip())


def token_row(page: Page, name: str) -> Locator:
    return page.get_by_test_id("token-row").filter(
        has=page.get_by_role("cell", name=name, exact=True)
    )


def cell(page: Page, row: Locator, header: str) -> Locator:
    """The row's cell under the column headed `header`."""
    headers = [text.strip() for text in page.locator("thead th").all_inner_texts()]
    return row.locator("td").nth(headers.index(header))


def redacted_pattern(raw: str) -> re.Pattern[str]:
    """How a list shows a token: its prefix, an ellipsis, its last four characters."""
    fmt = formats.format_for(raw)
    prefix = fmt.prefix if fmt else raw[:4]
    return re.compile(re.escape(prefix) + r"(\.\.\.|…)" + re.escape(raw[-4:]))


def random_sha() -> str:
    return secrets.token_hex(20)


def report_leak(http: Api, raws: list[Secret], sha: str, path: str = "config.py") -> Reply:
    """What CI does when it finds live tokens in a pushed commit."""
    reply = http.call(
        "POST",
        "/api/v1/leaks/revoke",
        json_body={
            "tokens": list(raws),
            "location": {"repo": LEAKED_REPO, "commit": sha, "path": path, "line": 3},
            "source": "ci",
        },
    )
    assert reply.status == 200, reply
    return reply
