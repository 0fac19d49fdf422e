"""`oi login` and `oi logout`: OAuth 2.1 against the service, the browser way or the device way.

Both first ask the service for its OAuth metadata, with a short timeout, so a service that is
not there ends the command at once. `oi login` then listens on a loopback port it picks
(RFC 8252), sends the browser to the consent page, checks the `state` it gets back, and
trades the code and its PKCE verifier (S256) for an 8-hour access token and a refresh token.
`oi login --device` (RFC 8628) prints a user code and the page to enter it on, from any device
where the person is signed in, and polls the token endpoint until the code is approved,
denied or expired. Either way the tokens go into the active profile (mode 0600); client
commands refresh them by themselves (`scanner.cli.credentials`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import click

from scanner import formats, transport
from scanner.cli import credentials, profiles
from scanner.errors import OiError, UsageError
from scanner.printable import printable

CALLBACK_PATH = "/callback"
METADATA_PATH = "/.well-known/oauth-authorization-server"
DEVICE_PATH = "/oauth/device_authorization"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PROBE_TIMEOUT_SECONDS = 5.0
SLOW_DOWN_SECONDS = 5  # RFC 8628 section 3.5: slow_down adds 5 s to every later interval
DEFAULT_INTERVAL_SECONDS = 5  # RFC 8628 section 3.2: the interval when none is given
EXIT_OK = 0
NO_URL = "no service URL: pass --app-url or run oi profile set --app-url"
EXPIRED = "the code expired before it was approved: run oi login --device again"
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
@click.option(
    "--device",
    is_flag=True,
    help="Sign in with a code entered on another device (SSH, containers, no browser here).",
)
@click.option(
    "--timeout",
    default=300,
    show_default=True,
    help="Seconds to wait for the browser (--device waits as long as its code lives).",
)
def login(app_url: str | None, scope: str, no_browser: bool, device: bool, timeout: int) -> int:
    """Sign in through the browser, or with --device from anywhere; the tokens go into the
    active profile."""
    url = _service_url(app_url)
    metadata = check_service(url)
    if device:
        answer = poll_for_tokens(url, start_device_login(url, scope, metadata))
    else:
        answer = _browser_login(url, scope, no_browser, timeout)
    _store(url, answer)
    click.echo(
        f"Signed in to {url} with scope {answer.get('scope', scope)}; the access token "
        f"({formats.redact(str(answer['access_token']))}) lasts {int(answer['expires_in']) // 3600}"
        " hours and is refreshed automatically."
    )
    return EXIT_OK


def check_service(url: str) -> dict[str, Any]:
    """The service's RFC 8414 metadata, asked for with a short timeout before anything waits on
    a person: a service that is not there (or is not this service) is one line, at once."""
    try:
        metadata = transport.send("GET", url + METADATA_PATH, timeout=PROBE_TIMEOUT_SECONDS)
    except transport.Refused as refused:
        raise OiError(
            f"{url} is not a tokenpatrol service: {METADATA_PATH} answered HTTP {refused.status}"
        ) from None
    if not isinstance(metadata, dict) or "token_endpoint" not in metadata:
        raise OiError(f"{url} answered no OAuth metadata: is it a tokenpatrol service?")
    return metadata


def _browser_login(url: str, scope: str, no_browser: bool, timeout: int) -> dict[str, Any]:
    """Authorization code + PKCE through a browser, redirected to a loopback listener."""
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
    return credentials.token_request(url, _code_form(code, redirect_uri, verifier))


@dataclass(frozen=True)
class DeviceAuthorization:
    """The device authorization answer (RFC 8628 section 3.2); the device code never prints."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int


def start_device_login(url: str, scope: str, metadata: dict[str, Any]) -> DeviceAuthorization:
    """Ask for a device code and a user code, and tell the person where to enter the code."""
    if not metadata.get("device_authorization_endpoint"):
        raise OiError(f"{url} does not offer oi login --device: run oi login without it")
    form = {"client_id": credentials.CLIENT_ID, "scope": scope}
    try:
        answer = transport.send("POST", url + DEVICE_PATH, form=form)
    except transport.Refused as refused:
        raise OiError(f"the service refused the device sign-in ({refused.reason})") from None
    authorization = _device_authorization(url, answer)
    _show_code(authorization)
    return authorization


def _device_authorization(url: str, answer: Any) -> DeviceAuthorization:
    try:
        return DeviceAuthorization(
            device_code=str(answer["device_code"]),
            user_code=printable(str(answer["user_code"])),
            verification_uri=printable(str(answer["verification_uri"])),
            verification_uri_complete=_optional_text(answer.get("verification_uri_complete")),
            expires_in=int(answer["expires_in"]),
            interval=int(answer.get("interval") or DEFAULT_INTERVAL_SECONDS),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise OiError(f"{url} answered no usable device code") from None


def _optional_text(value: Any) -> str | None:
    return printable(str(value)) if value else None


def _show_code(authorization: DeviceAuthorization) -> None:
    lines = [
        "To sign in, open this page on any device where you are signed in to the web UI:",
        f"  {authorization.verification_uri}",
        f"and enter the code  {authorization.user_code}",
    ]
    complete = authorization.verification_uri_complete
    if complete:
        lines += ["or open this link, which fills the code in:", f"  {complete}"]
    lines.append(f"Waiting for approval (the code expires in {_duration(authorization)})...")
    click.echo("\n".join(lines))
    sys.stdout.flush()


def _duration(authorization: DeviceAuthorization) -> str:
    seconds = authorization.expires_in
    if seconds >= 120:
        return f"{seconds // 60} minutes"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def poll_for_tokens(
    url: str,
    authorization: DeviceAuthorization,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """RFC 8628 sections 3.4 and 3.5: wait `interval` before each poll (5 s more after every
    slow_down) until the tokens come, the code is denied, or it expires. `sleep` and `clock`
    are the ones a test hands in to run the loop without waiting."""
    interval = authorization.interval
    deadline = clock() + authorization.expires_in
    while clock() < deadline:
        sleep(interval)
        outcome = _poll(url, authorization.device_code)
        if isinstance(outcome, dict):
            return outcome
        if outcome == "slow_down":
            interval += SLOW_DOWN_SECONDS
        elif outcome != "authorization_pending":
            raise _refusal(outcome)
    raise OiError(EXPIRED)


def _poll(url: str, device_code: str) -> dict[str, Any] | str:
    """One token request: the tokens, or the OAuth error code the service answered."""
    form = {
        "grant_type": DEVICE_GRANT,
        "device_code": device_code,
        "client_id": credentials.CLIENT_ID,
    }
    try:
        answer = transport.send("POST", url + "/oauth/token", form=form)
    except transport.Refused as refused:
        if refused.status != 400:
            raise
        return refused.reason
    if not isinstance(answer, dict) or "access_token" not in answer:
        raise OiError(f"{url} answered no access token")
    return answer


def _refusal(error: str) -> OiError:
    if error == "expired_token":
        return OiError(EXPIRED)
    if error == "access_denied":
        return OiError("sign-in refused: access_denied (the code was denied in the browser)")
    return OiError(f"sign-in refused: {printable(error)}")


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
