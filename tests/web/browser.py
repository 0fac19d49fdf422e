"""A person in a browser without JavaScript: reads pages, fills forms, sends their CSRF token."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.secrets import Secret

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]+)"')
_NEW_TOKEN = re.compile(r'<code id="new-token" data-testid="new-token">([^<]+)</code>')
_INVITE_LINK = re.compile(r'<code id="invite-link" data-testid="invite-link">([^<]+)</code>')
_TOKEN_ROW = re.compile(r'<tr data-testid="token-row" data-token-id="([^"]+)">')


def csrf_token(html: str) -> str:
    field = _CSRF_INPUT.search(html)
    assert field is not None, "the page has no CSRF token"
    value = _VALUE.search(field.group(0))
    assert value is not None
    return value.group(1)


def new_token(html: str) -> Secret | None:
    """The value a page reveals once (always a `Secret`, so it never prints in full)."""
    match = _NEW_TOKEN.search(html)
    return Secret(match.group(1)) if match else None


def invite_link(html: str) -> Secret | None:
    match = _INVITE_LINK.search(html)
    return Secret(match.group(1)) if match else None


def token_ids(html: str) -> list[str]:
    return _TOKEN_ROW.findall(html)


class Browser:
    """Wraps the test client; `submit` first opens a page to read the form's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.responses: list[TestResponse] = []

    def get(self, path: str, *, follow: bool = False) -> TestResponse:
        return self._keep(self.client.get(path, follow_redirects=follow))

    def submit(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        form_page: str | None = None,
        follow: bool = False,
    ) -> TestResponse:
        page = self.get(form_page or path)
        token = csrf_token(page.get_data(as_text=True))
        body = {**(data or {}), "csrf_token": token}
        return self._keep(self.client.post(path, data=body, follow_redirects=follow))

    def sign_in(self, login: str, password: str, next_path: str | None = None) -> TestResponse:
        path = "/login" if next_path is None else f"/login?next={next_path}"
        return self.submit(path, {"login": login, "password": password}, form_page="/login")

    def sign_out(self) -> TestResponse:
        return self.submit("/logout", form_page="/leaks")

    def _keep(self, response: TestResponse) -> TestResponse:
        response.get_data()  # buffer the body, then release the file a static response holds
        response.close()
        self.responses.append(response)
        return response
