"""The web UI: server-rendered pages for people (sign-in, tokens, leaks, admin)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the web blueprint, Flask-Login and CSRF (filled in by the web UI work)."""
