"""Which service and which token a client command uses, refreshing `oi login` tokens itself.

In order: `OPENINDEX_TOKEN` (CI), the active profile's `token` (a PAT or API token from
`oi profile set`), then the profile's OAuth tokens from `oi login`. An OAuth access token
that has expired, or will within a minute, is refreshed first; the refresh token rotates on
every use, so the new pair is written back to the profile at once.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from scanner import transport
from scanner.cli import profiles
from scanner.errors import OiError

TOKEN_ENV = "OPENINDEX_TOKEN"
CLIENT_ID = "oi-cli"
REFRESH_MARGIN_SECONDS = 60
ACCESS_KEY = "oauth_access_token"
REFRESH_KEY = "oauth_refresh_token"
EXPIRES_KEY = "oauth_expires_at"


class CredentialError(OiError):
    """No usable credential; the message says what to do."""


@dataclass(frozen=True)
class Credential:
    app_url: str
    token: str
    source: str  # "OPENINDEX_TOKEN", "profile token" or "oi login"

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One JSON API call with this credential's bearer token."""
        return transport.send(method, self.app_url + path, json_body=body, bearer=self.token)


def app_url(flag: str | None) -> str:
    """The configured service URL, without a trailing slash; CredentialError when none is."""
    url = profiles.configured_app_url(flag)
    if not url:
        raise CredentialError(
            "no service URL: oi profile set --app-url URL (or set OPENINDEX_APP_URL)"
        )
    return url.rstrip("/")


def current(app_url_flag: str | None = None) -> Credential:
    """The credential a command should send, refreshed if it came from `oi login`."""
    url = app_url(app_url_flag)
    if os.environ.get(TOKEN_ENV, "").strip():
        return Credential(url, os.environ[TOKEN_ENV].strip(), TOKEN_ENV)
    profile = profiles.active_profile()
    if str(profile.get("token") or "").strip():
        return Credential(url, str(profile["token"]).strip(), "profile token")
    if profile.get(REFRESH_KEY) or profile.get(ACCESS_KEY):
        return Credential(url, _fresh_access_token(url, profile), "oi login")
    raise CredentialError(
        "missing token: run `oi login`, `oi profile set --token ...`, or set OPENINDEX_TOKEN"
    )


def _fresh_access_token(url: str, profile: dict[str, Any]) -> str:
    expires_at = float(profile.get(EXPIRES_KEY) or 0)
    access = profile.get(ACCESS_KEY)
    if access and expires_at - REFRESH_MARGIN_SECONDS > time.time():
        return str(access)
    refresh = profile.get(REFRESH_KEY)
    if not refresh:
        raise CredentialError("the `oi login` session has expired: run `oi login` again")
    form = {"grant_type": "refresh_token", "refresh_token": str(refresh), "client_id": CLIENT_ID}
    answer = token_request(url, form)
    store_oauth_tokens(answer)
    return str(answer["access_token"])


def token_request(url: str, form: dict[str, str]) -> dict[str, Any]:
    """POST to /oauth/token; the answer's tokens, or CredentialError with the server's reason."""
    try:
        answer = transport.send("POST", url + "/oauth/token", form=form)
    except transport.Refused as refused:
        raise CredentialError(
            f"the service refused the sign-in ({refused.reason}): run `oi login` again"
        ) from None
    if not isinstance(answer, dict) or "access_token" not in answer:
        raise CredentialError(f"{url} answered no access token")
    return answer


def store_oauth_tokens(answer: dict[str, Any]) -> None:
    """Write an OAuth token answer into the active profile (mode 0600)."""
    expires_at = int(time.time()) + int(answer.get("expires_in") or 0)
    profiles.update_active(
        {
            ACCESS_KEY: str(answer["access_token"]),
            REFRESH_KEY: str(answer.get("refresh_token") or ""),
            EXPIRES_KEY: str(expires_at),
        }
    )
