"""Security headers on every response of the app, and no caching of any web page."""

from __future__ import annotations

import re

from flask import Flask, Response, g, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_UNSAFE_SOURCE = re.compile(r"[\s;,']")
FIXED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def content_security_policy() -> str:
    """The policy; a page may allow more form targets in `g.csp_form_action` (OAuth redirects)."""
    extra = g.get("csp_form_action")
    if not extra:
        return CSP
    sources = [extra] if isinstance(extra, str) else [str(source) for source in extra]
    # A source with a separator in it could start a directive of its own: leave it out.
    safe = [source for source in sources if source and not _UNSAFE_SOURCE.search(source)]
    return " ".join([CSP, *safe])


def add_security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy()
    for name, value in FIXED_HEADERS.items():
        response.headers[name] = value
    return response


def no_store(response: Response) -> Response:
    """Pages may show a secret once; no cache (browser or proxy) may keep a copy."""
    if request.endpoint != "web.static":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
