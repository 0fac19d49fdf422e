"""The web UI: server-rendered pages for people (sign-in, tokens, leaks, admin).

Pages authenticate by the Flask-Login session, never by API token (every view is `public`),
and every form is a FlaskForm with its own CSRF token; the JSON API stays CSRF-free.
"""

from __future__ import annotations

from flask import Flask

from app.web import headers, throttle


def init_app(app: Flask) -> None:
    """Flask-Login, the blueprint, the app-wide security headers and the sign-in throttle
    (the session cookie's rules are configuration: app/config.py)."""
    from app.web import (  # noqa: F401
        admin_views,
        error_pages,
        leak_views,
        session_views,
        token_views,
        webhook_views,
    )
    from app.web.blueprint import bp
    from app.web.session import login_manager

    login_manager.init_app(app)
    app.register_blueprint(bp)
    headers.init_app(app)
    throttle.init_app(app)
