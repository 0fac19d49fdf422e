"""Leaked tokens: what, where (as text: a reporter's word), when revoked; the account view for
admins."""

from __future__ import annotations

import re

from tests.support.api import Api
from tests.web.browser import Browser
from tests.web.test_token_pages import create

SHA = "0123456789abcdef0123456789abcdef01234567"


def report_leak(api: Api, raw: str, location: dict[str, object]) -> None:
    body = {"tokens": [raw], "location": location, "source": "ci"}
    assert api.call("POST", "/api/v1/leaks/revoke", json_body=body).status == 200


def test_leak_is_listed_with_where_it_was_found(as_admin: Browser, api: Api) -> None:
    raw = create(as_admin, "/settings/tokens", name="deploy")
    where = {"repo": "https://github.com/acme/app.git", "commit": SHA, "path": "cfg.py", "line": 3}
    report_leak(api, raw, where)
    html = as_admin.get("/leaks").get_data(as_text=True)
    assert "<h1>Leaked tokens</h1>" in html and raw not in html
    assert "https://github.com/acme/app.git" in html and f"commit <code>{SHA[:12]}" in html
    assert "cfg.py:3" in html and f"{raw[:7]}...{raw[-4:]}" in html and "deploy" in html
    assert "Personal access token" in html and "not revoked" not in html
    assert 'data-testid="leak-chart"' in html and "1 leak</title>" in html


def test_reported_locations_are_never_links(as_admin: Browser, api: Api) -> None:
    """Red-team finding 13: anyone holding a token could put a link to any host on the
    owner's leaks page."""
    raw = create(as_admin, "/settings/api-tokens")
    where = {
        "repo": "https://phish.example/acme/app",
        "commit": SHA,
        "url": "https://phish.example/login",
    }
    report_leak(api, raw, where)
    report_leak(api, raw, {"repo": "javascript:alert(1)//x/y", "commit": SHA, "url": "data:x"})
    html = as_admin.get("/leaks").get_data(as_text=True)
    assert "https://phish.example/login" in html and "javascript:alert(1)//x/y" in html
    assert re.findall(r'href="(?!/|#main)[^"]*"', html) == []  # only the site's own links


def test_users_see_only_their_own_and_no_chart(
    as_admin: Browser, as_member: Browser, api: Api
) -> None:
    report_leak(api, create(as_admin, "/settings/tokens", name="admins"), {"path": "a.py"})
    report_leak(api, create(as_member, "/settings/tokens", name="members"), {"path": "b.py"})
    member_html = as_member.get("/leaks").get_data(as_text=True)
    assert "members" in member_html and "admins" not in member_html
    assert "leak-chart" not in member_html
    admin_html = as_admin.get("/leaks").get_data(as_text=True)
    assert "Account acme" in admin_html and "members" in admin_html
    assert "2 in all" in admin_html
