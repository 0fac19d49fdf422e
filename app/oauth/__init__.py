"""OAuth 2.1 for the CLI (`oi login`): Authlib's authorization server, PKCE S256 only, and the
RFC 8628 device grant (`oi login --device`) with its code entry page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Bind the authorization server, register the OAuth and device page blueprints, and the
    throttle of wrong device codes."""
    from app.oauth import device_throttle, device_views
    from app.oauth.server import init_server
    from app.oauth.views import bp

    init_server(app)
    app.register_blueprint(bp)
    app.register_blueprint(device_views.bp)
    device_throttle.init_app(app)
