"""Which service and which token a client command uses, refreshing `oi login` tokens itself.

In order: `OPENINDEX_TOKEN` (CI), the active profile's `token` (a PAT or API token from
`oi profile set`), then the profile's OAuth tokens from `oi login`. An OAuth access token
that has expired, or will within a minute, is refreshed first; the refresh token rotates on
every use, so the new pair is written back to the profile at once.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from scanner import profiles
from scanner.client import TIMEOUT_SECONDS, USER_AGENT

TOKEN_ENV = "OPENINDEX_TOKEN"
CLIENT_ID = "oi-cli"
REFRESH_MARGIN_SECONDS = 60
ACCESS_KEY = "oauth_access_token"
REFRESH_KEY = "oauth_refresh_token"
EXPIRES_KEY = "oauth_expires_at"


class CredentialError(Exception):
    """No usable credential; the message says what to do."""


@dataclass(frozen=True)
class Credential:
    app_url: str
    token: str
    source: str  # "OPENINDEX_TOKEN", "profile token" or "oi login"


def current(app_url_flag: str | None = None) -> Credential:
    """The credential a command should send, refreshed if it came from `oi login`."""
    from scanner.verify import configured_app_url

    app_url = configured_app_url(app_url_flag)
    if not app_url:
        raise CredentialError(
            "no service URL: oi profile set --app-url URL (or set OPENINDEX_APP_URL)"
        )
    app_url = app_url.rstrip("/")
    if os.environ.get(TOKEN_ENV):
        return Credential(app_url, os.environ[TOKEN_ENV], TOKEN_ENV)
    profile = profiles.active_profile()
    if profile.get("token"):
        return Credential(app_url, str(profile["token"]), "profile token")
    if profile.get(REFRESH_KEY) or profile.get(ACCESS_KEY):
        return Credential(app_url, _fresh_access_token(app_url, profile), "oi login")
    raise CredentialError(
        "missing token: run `oi login`, `oi profile set --token ...`, or set OPENINDEX_TOKEN"
    )


def _fresh_access_token(app_url: str, profile: dict[str, Any]) -> str:
    expires_at = float(profile.get(EXPIRES_KEY) or 0)
    access = profile.get(ACCESS_KEY)
    if access and expires_at - REFRESH_MARGIN_SECONDS > time.time():
        return str(access)
    refresh = profile.get(REFRESH_KEY)
    if not refresh:
        raise CredentialError("the `oi login` session has expired: run `oi login` again")
    form = {"grant_type": "refresh_token", "refresh_token": str(refresh), "client_id": CLIENT_ID}
    answer = token_request(app_url, form)
    store_oauth_tokens(answer)
    return str(answer["access_token"])


def token_request(app_url: str, form: dict[str, str]) -> dict[str, Any]:
    """POST to /oauth/token; the answer's tokens, or CredentialError with the server's reason."""
    try:
        answer = post_form(app_url, "/oauth/token", form)
    except urllib.error.HTTPError as error:
        raise CredentialError(
            f"the service refused the sign-in ({_oauth_error(error)}): run `oi login` again"
        ) from None
    if not isinstance(answer, dict) or "access_token" not in answer:
        raise CredentialError(f"{app_url} answered no access token")
    return answer


def post_form(app_url: str, path: str, form: dict[str, str]) -> Any:
    """A form-encoded POST to an OAuth endpoint: the decoded JSON answer.

    HTTPError goes to the caller (it knows what a refusal means); an unreachable service or
    an answer that is not JSON becomes CredentialError.
    """
    request = urllib.request.Request(
        app_url.rstrip("/") + path,
        data=urllib.parse.urlencode(form).encode(),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise CredentialError(f"{app_url} is unreachable: {reason}") from None
    except ValueError:
        raise CredentialError(f"{app_url} did not answer JSON") from None


def store_oauth_tokens(answer: dict[str, Any]) -> None:
    """Write an OAuth token answer into the active profile (mode 0600)."""
    from scanner.profile_store import update_active

    expires_at = int(time.time()) + int(answer.get("expires_in") or 0)
    update_active(
        {
            ACCESS_KEY: str(answer["access_token"]),
            REFRESH_KEY: str(answer.get("refresh_token") or ""),
            EXPIRES_KEY: str(expires_at),
        }
    )


def _oauth_error(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read())
    except ValueError:
        return f"HTTP {error.code}"
    if not isinstance(body, dict):
        return f"HTTP {error.code}"
    return str(body.get("error", f"HTTP {error.code}"))
