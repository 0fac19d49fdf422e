"""Which service and which token a client command uses, refreshing `oi login` tokens itself.

In order: `OPENINDEX_TOKEN` (CI), the active profile's `token` (a PAT or API token from
`oi profile set`), then the profile's OAuth tokens from `oi login`. A token given by hand is
checked offline first (`token_problem`), so a typo is named before anything is sent. An OAuth
access token that has expired, or will within a minute, is refreshed first; the refresh token
rotates on every use, so the new pair is written back to the profile at once.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from scanner import formats, transport
from scanner.cli import profiles
from scanner.errors import OiError, UsageError
from scanner.report.text import plural

TOKEN_ENV = "OPENINDEX_TOKEN"
CLIENT_ID = "oi-cli"
REFRESH_MARGIN_SECONDS = 60
ACCESS_KEY = "oauth_access_token"
REFRESH_KEY = "oauth_refresh_token"
EXPIRES_KEY = "oauth_expires_at"
ROOT_KEY_MINIMUM = 16  # the service refuses to start with a shorter root key
BEARERS = (formats.PERSONAL_ACCESS_TOKEN, formats.API_TOKEN, formats.OAUTH_ACCESS_TOKEN)


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
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return Credential(url, checked_token(from_env, TOKEN_ENV), TOKEN_ENV)
    name, profile = profiles.active()
    stored = str(profile.get("token") or "").strip()
    if stored:
        problem = token_problem(stored)
        if problem:
            raise profiles.ProfileError(f"{profiles.where(name)}: its token {problem}")
        return Credential(url, stored, "profile token")
    if profile.get(REFRESH_KEY) or profile.get(ACCESS_KEY):
        return Credential(url, _fresh_access_token(url, profile), "oi login")
    raise CredentialError(
        "missing token: run `oi login`, `oi profile set --token ...`, or set OPENINDEX_TOKEN"
    )


def checked_token(token: str, source: str) -> str:
    """`token` if it can authenticate, checked offline; else UsageError naming `source`."""
    problem = token_problem(token)
    if problem:
        raise UsageError(f"{source} {problem}")
    return token


def token_problem(token: str) -> str | None:
    """Why `token` cannot be a bearer of this service, offline, or None. Never quotes it.

    A registered prefix must carry a valid token of a kind that signs in; anything else can
    only be the root key, which the service wants 16 characters long at least.
    """
    fmt = formats.format_for(token)
    if fmt is None:
        if len(token) >= ROOT_KEY_MINIMUM and not profiles.blank_or_control(token):
            return None
        prefixes = ", ".join(f"{bearer.prefix}..." for bearer in BEARERS)
        return f"is not a token of this service ({prefixes}) nor a root key (16+ characters)"
    if not fmt.is_valid(token):
        return f"is not a valid {fmt.description} ({fmt.prefix}...): {_shape_problem(fmt, token)}"
    if fmt not in BEARERS:
        return f"is an {fmt.description}: it cannot sign in (use a PAT or an API token)"
    return None


def _shape_problem(fmt: formats.TokenFormat, token: str) -> str:
    body = token[len(fmt.prefix) :]
    if profiles.blank_or_control(token):
        return "it holds spaces or control characters (a line break pasted inside it?)"
    if isinstance(fmt, formats.SignedFormat):
        return "its payload does not decode (cut short or changed?)"
    wanted = formats.RANDOM_LENGTH + formats.CHECKSUM_LENGTH
    if len(body) != wanted:
        return (
            f"it has {plural(len(body), 'character')} after the prefix, not {wanted} (cut short?)"
        )
    if not (body.isascii() and body.isalnum()):
        return "it holds characters other than letters and digits"
    return "its checksum does not match (a typo?)"


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
