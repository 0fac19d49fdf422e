"""Secrets the service must keep for a while and read back (a value shown once, a mailed
link): encrypted with Fernet under a key derived from SECRET_KEY and the purpose, so a copy of
the database alone reveals none of them."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def seal(purpose: str, value: str) -> str:
    return _fernet(purpose).encrypt(value.encode()).decode()


def unseal(purpose: str, sealed: str, *, ttl_seconds: int | None = None) -> str | None:
    """The value, or None when it was sealed for another purpose, under another key, or is
    older than `ttl_seconds`."""
    try:
        return _fernet(purpose).decrypt(sealed.encode(), ttl=ttl_seconds).decode()
    except InvalidToken:
        return None


def _fernet(purpose: str) -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hashlib.sha256(f"tokenpatrol {purpose}\x00".encode() + secret).digest()
    return Fernet(base64.urlsafe_b64encode(digest))
