"""What a browser and `oi login` do in the OAuth flow, for tests that play either side."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.api import Api

CLIENT_ID = "oi-cli"
PASSWORD = "correct horse battery staple"
_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


def authorize_path(
    redirect_uri: str, pkce: Pkce, *, state: str = "st4te", scope: str = "read_write", **extra: str
) -> str:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v != ""})


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1) or match.group(2)


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def person_with_password(
    api: Api, root_key: str, account_id: str, user_id: str, *, role: str = "user"
) -> str:
    """An account (made if needed) and a user who claimed an invite: returns the login."""
    api.call(
        "POST",
        "/api/v1/admin/accounts",
        root_key,
        json_body={"account_id": account_id, "admin_user_id": f"{account_id}-admin"},
    )
    email = f"{user_id}@{account_id}.example"
    invite = api.invite(root_key, account_id, email, role)
    claimed = api.call(
        "POST",
        "/auth/invites/claim",
        json_body={
            "token": invite["invite_token"],
            "password": PASSWORD,
            "userId": user_id,
        },
    )
    assert claimed.status in (200, 201), claimed
    return email


def play_browser(base_url: str, login: str, authorize_url: str, *, allow: bool = True) -> str:
    """Sign in, open the consent page, press Allow (or Deny): returns the redirect it sends."""
    import requests

    browser = requests.Session()
    page = browser.get(f"{base_url}/login", timeout=30)
    signed = browser.post(
        f"{base_url}/login",
        data={"login": login, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert signed.status_code == 302, signed.status_code
    consent = browser.get(authorize_url, timeout=30)
    assert consent.status_code == 200, consent.status_code
    button = {"allow": "Allow"} if allow else {"deny": "Deny"}
    answer = browser.post(
        authorize_url,
        data={"csrf_token": csrf_token(consent.text), **button},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.status_code
    return str(answer.headers["Location"])
