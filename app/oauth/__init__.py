"""OAuth 2.1 for the CLI (`oi login`): Authlib's authorization server, PKCE S256 only."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Bind the authorization server and register the OAuth blueprint."""
    from app.oauth.server import init_server
    from app.oauth.views import bp

    init_server(app)
    app.register_blueprint(bp)
