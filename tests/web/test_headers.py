"""Security headers on every response of the app; pages are never cached; no inline code."""

from __future__ import annotations

import re

import pytest
from flask import Flask, g

from tests.support.api import Api
from tests.web.browser import Browser

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def assert_security_headers(headers: dict[str, str] | object) -> None:
    get = headers.get  # type: ignore[attr-defined]
    assert get("Content-Security-Policy") == CSP
    assert get("X-Frame-Options") == "DENY"
    assert get("X-Content-Type-Options") == "nosniff"
    assert get("Referrer-Policy") == "no-referrer"


@pytest.mark.parametrize("path", ["/login", "/invite", "/settings/tokens", "/leaks", "/admin"])
def test_pages_carry_the_headers_and_no_store(as_admin: Browser, path: str) -> None:
    page = as_admin.get(path)
    assert page.status_code == 200
    assert_security_headers(page.headers)
    assert page.headers["Cache-Control"] == "no-store"


def test_api_errors_and_redirects_carry_them_too(api: Api, browser: Browser) -> None:
    assert_security_headers(api.call("GET", "/health").headers)
    assert_security_headers(api.call("GET", "/me/pats").headers)
    redirect = browser.get("/settings/tokens")
    assert redirect.status_code == 302 and redirect.headers["Cache-Control"] == "no-store"
    assert_security_headers(redirect.headers)


def test_static_files_are_served_and_cacheable(browser: Browser) -> None:
    css = browser.get("/static/app.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("Cache-Control", "")
    assert browser.get("/static/app.js").status_code == 200
    assert browser.get("/static/../__init__.py").status_code == 404


def test_extra_form_action_sources(app: Flask) -> None:
    from app.web.headers import content_security_policy

    with app.test_request_context():
        g.csp_form_action = ["http://127.0.0.1:53682", "bad; script-src *"]
        policy = content_security_policy()
    assert policy.endswith("form-action 'self' http://127.0.0.1:53682")


def test_no_inline_script_or_style(as_admin: Browser) -> None:
    for path in ["/login", "/invite", "/settings/tokens", "/settings/api-tokens", "/leaks"]:
        html = as_admin.get(path).get_data(as_text=True)
        assert 'name="viewport"' in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path


def test_every_input_has_a_label(as_admin: Browser) -> None:
    for path in ["/login", "/invite", "/settings/tokens", "/admin/users", "/admin/invites"]:
        html = as_admin.get(path).get_data(as_text=True)
        for field in re.findall(r"<(?:input|select)[^>]*>", html):
            if 'type="hidden"' in field:
                continue
            field_id = re.search(r'id="([^"]+)"', field)
            assert field_id and f'<label for="{field_id.group(1)}"' in html, (path, field)
