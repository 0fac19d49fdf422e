"""OAuth 2.1 for the CLI (`oi login`): Authlib's authorization server, PKCE S256 only."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Bind the authorization server and register the OAuth blueprint."""
