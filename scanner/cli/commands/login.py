"""`oi login` and `oi logout`: OAuth 2.1 authorization code + PKCE (S256) against the service.

`oi login` listens on a loopback port it picks (RFC 8252), sends the browser to the consent
page, checks the `state` it gets back, and trades the code and its PKCE verifier for an
8-hour access token and a refresh token, which go into the active profile (mode 0600).
Client commands refresh them by themselves (`scanner.cli.credentials`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import click

from scanner import formats, transport
from scanner.cli import credentials, profiles
from scanner.errors import OiError, UsageError

CALLBACK_PATH = "/callback"
EXIT_OK = 0
NO_URL = "no service URL: pass --app-url or run oi profile set --app-url"
DONE_PAGE = (
    b"<!doctype html><title>oi login</title><p>You can close this tab and go back to the "
    b"terminal.</p>"
)


@click.command("login")
@click.option("--app-url", help="The service's base URL (else OPENINDEX_APP_URL or the profile).")
@click.option(
    "--scope",
    type=click.Choice(["read", "read_write", "admin"]),
    default="read_write",
    show_default=True,
)
@click.option("--no-browser", is_flag=True, help="Print the sign-in URL instead of opening it.")
@click.option("--timeout", default=300, show_default=True, help="Seconds to wait for the browser.")
def login(app_url: str | None, scope: str, no_browser: bool, timeout: int) -> int:
    """Sign in through the browser; the tokens go into the active profile."""
    url = _service_url(app_url)
    verifier = secrets.token_urlsafe(64)
    state = secrets.token_urlsafe(24)
    receiver = _CallbackReceiver(state)
    redirect_uri = f"http://127.0.0.1:{receiver.port}{CALLBACK_PATH}"
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": credentials.CLIENT_ID,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    authorize_url = f"{url}/oauth/authorize?{query}"
    click.echo(f"Open this URL in a browser to sign in:\n{authorize_url}")
    sys.stdout.flush()
    if not no_browser:
        import webbrowser

        webbrowser.open(authorize_url)
    code = receiver.wait(timeout)
    answer = credentials.token_request(url, _code_form(code, redirect_uri, verifier))
    _store(url, answer)
    click.echo(
        f"Signed in to {url} with scope {answer.get('scope', scope)}; the access token "
        f"({formats.redact(str(answer['access_token']))}) lasts {int(answer['expires_in']) // 3600}"
        " hours and is refreshed automatically."
    )
    return EXIT_OK


@click.command("logout")
@click.option("--app-url", help="The service's base URL (else OPENINDEX_APP_URL or the profile).")
def logout(app_url: str | None) -> int:
    """Revoke the `oi login` tokens at the service and remove them from the profile."""
    profile = profiles.active_profile()
    refresh = profile.get(credentials.REFRESH_KEY)
    access = profile.get(credentials.ACCESS_KEY)
    if not refresh and not access:
        click.echo("not signed in with oi login: nothing to revoke")
        return EXIT_OK
    url = _service_url(app_url)
    for value, hint in ((refresh, "refresh_token"), (access, "access_token")):
        if value:
            _revoke(url, str(value), hint)
    profiles.update_active(
        {credentials.ACCESS_KEY: None, credentials.REFRESH_KEY: None, credentials.EXPIRES_KEY: None}
    )
    click.echo(f"Signed out: the oi login tokens are revoked at {url} and forgotten.")
    return EXIT_OK


def _service_url(flag: str | None) -> str:
    url = profiles.configured_app_url(flag)
    if not url:
        raise UsageError(NO_URL)
    return url.rstrip("/")


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _code_form(code: str, redirect_uri: str, verifier: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": credentials.CLIENT_ID,
        "code_verifier": verifier,
    }


def _store(url: str, answer: dict[str, Any]) -> None:
    """The new tokens replace any token the profile held, so they are the ones used."""
    if profiles.active_profile().get("token"):
        click.echo("The profile's stored token is replaced by the oi login tokens.", err=True)
    profiles.update_active({"app_url": url, "token": None})
    credentials.store_oauth_tokens(answer)


def _revoke(url: str, token: str, hint: str) -> None:
    form = {"token": token, "token_type_hint": hint, "client_id": credentials.CLIENT_ID}
    try:
        transport.send("POST", url + "/oauth/revoke", form=form)
    except transport.Refused as refused:
        raise OiError(
            f"the service refused to revoke the {hint.replace('_', ' ')} "
            f"(HTTP {refused.status}); the profile keeps it, try again"
        ) from None
    except transport.ServiceError as error:
        raise OiError(f"{error.message}; the tokens are kept, try oi logout again") from None


class _CallbackReceiver:
    """A one-shot HTTP server on a free loopback port that waits for the redirect."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.code: str | None = None
        self.error: str | None = None
        self.done = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                if parts.path != CALLBACK_PATH:
                    self.send_error(404)
                    return
                receiver.accept(urllib.parse.parse_qs(parts.query))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(DONE_PAGE)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the query string holds the authorization code."""

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])

    def accept(self, params: dict[str, list[str]]) -> None:
        state = (params.get("state") or [""])[0]
        if not hmac.compare_digest(state.encode(), self.state.encode()):
            self.error = "the answer's state does not match this sign-in (ignored)"
            return  # not ours: keep waiting for the real redirect
        if params.get("error"):
            description = (params.get("error_description") or [""])[0]
            self.error = f"{params['error'][0]} {description}".strip()
        else:
            self.code = (params.get("code") or [""])[0] or None
        self.done.set()

    def wait(self, timeout: int) -> str:
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        finished = self.done.wait(timeout)
        self.server.shutdown()
        self.server.server_close()
        if not finished:
            raise OiError(f"no answer from the browser within {timeout} seconds")
        if self.code is None:
            raise OiError(f"sign-in refused: {self.error or 'no code returned'}")
        return self.code

    def _serve(self) -> None:
        self.server.serve_forever(poll_interval=0.1)
