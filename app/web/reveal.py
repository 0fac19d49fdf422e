"""Show a new secret exactly once, after a redirect, without putting it in a URL or the database.

The value waits in the session cookie, encrypted (Fernet, key derived from SECRET_KEY), until
the page it belongs to pops it. The cookie is signed but not encrypted by Flask itself.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, session

REVEAL_TTL_SECONDS = 600
_SESSION_KEY = "reveal:{page}"


def stash(page: str, raw: str) -> None:
    """Keep `raw` for the next view of `page`."""
    session[_SESSION_KEY.format(page=page)] = _fernet().encrypt(raw.encode()).decode()


def pop(page: str) -> str | None:
    """The value stashed for `page`, once; None when there is none or it is stale."""
    sealed = session.pop(_SESSION_KEY.format(page=page), None)
    if not isinstance(sealed, str):
        return None
    try:
        return _fernet().decrypt(sealed.encode(), ttl=REVEAL_TTL_SECONDS).decode()
    except InvalidToken:
        return None


def _fernet() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hashlib.sha256(b"tokenpatrol web reveal\x00" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(digest))
