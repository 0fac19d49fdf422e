"""`oi login` from the browser's side: sign in, consent, and the redirect to the CLI's loopback
listener, which the page's CSP (form-action) must let through."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page, expect

from scanner import formats
from tests.browser.people import open_consent
from tests.browser.traffic import Traffic, hygiene_problems
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.live_server import LiveServer
from tests.support.oauth_flow import CLIENT_ID, Pkce, authorize_path, person_with_password, query_of
from tests.support.secrets import Secret


@dataclass
class Loopback:
    """What `oi login` listens with: one port on 127.0.0.1, the queries it got at /callback."""

    redirect_uri: str
    queries: list[str] = field(default_factory=list)

    def answer(self) -> dict[str, str]:
        assert len(self.queries) == 1, f"{len(self.queries)} callbacks"
        return query_of("/callback?" + self.queries[0])


@contextmanager
def loopback_listener() -> Iterator[Loopback]:
    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/callback":
                listener.queries.append(parts.query)
                body = b"<!doctype html><title>oi</title><p>Signed in. You can close this tab.</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
            else:
                body = b""
                self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass  # the request line holds the code: keep it out of the test output

    server = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    listener = Loopback(f"http://127.0.0.1:{server.server_port}/callback")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    with loopback_listener() as listener:
        yield listener


@pytest.fixture
def login(http: Api) -> str:
    return person_with_password(http, ROOT_KEY, "acme", "alice")


def test_allow_sends_a_code_the_cli_can_exchange(
    page: Page,
    base_url: str,
    login: str,
    loopback: Loopback,
    live_server: LiveServer,
    traffic: Traffic,
) -> None:
    pkce = Pkce.new()
    open_consent(page, base_url, login, authorize_path(loopback.redirect_uri, pkce, state="s-1"))
    expect(page.get_by_text(CLIENT_ID, exact=True)).to_be_visible()
    expect(page.get_by_test_id("consent-scope")).to_have_text("read_write")
    expect(page.locator("main")).to_contain_text("alice")
    expect(page.locator("main")).to_contain_text(loopback.redirect_uri)

    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(re.escape(loopback.redirect_uri) + r"\?"))
    expect(page.get_by_text("Signed in. You can close this tab.")).to_be_visible()
    answer = loopback.answer()
    assert answer["state"] == "s-1"
    assert "error" not in answer
    assert answer["code"]

    exchanged = requests.post(
        base_url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": loopback.redirect_uri,
            "client_id": CLIENT_ID,
            "code_verifier": pkce.verifier,
        },
        timeout=30,
    )
    assert exchanged.status_code == 200, exchanged.status_code
    body = exchanged.json()
    access, refresh = Secret(body["access_token"]), Secret(body["refresh_token"])
    assert formats.identify(access) is formats.OAUTH_ACCESS_TOKEN, access
    assert access.startswith("oi_oat_"), access
    assert (body["token_type"].lower(), body["expires_in"]) == ("bearer", 28800)
    check = Api(base_url=base_url).call("GET", "/auth/check", access)
    assert check.status == 200, check
    assert check.body["scope"] == "read_write"

    log = live_server.log_text()
    assert hygiene_problems(traffic, log, [access, refresh]) == []
    assert traffic.problems() == []  # the CSP let the form's redirect to the loopback through


def test_deny_sends_access_denied(
    page: Page, base_url: str, login: str, loopback: Loopback, traffic: Traffic
) -> None:
    path = authorize_path(loopback.redirect_uri, Pkce.new(), state="s-2", scope="read")
    open_consent(page, base_url, login, path)
    expect(page.get_by_test_id("consent-scope")).to_have_text("read")

    page.get_by_role("button", name="Deny").click()
    expect(page).to_have_url(re.compile(re.escape(loopback.redirect_uri) + r"\?"))
    answer = loopback.answer()
    assert answer["error"] == "access_denied"
    assert answer["state"] == "s-2"
    assert "code" not in answer
    assert traffic.problems() == []
