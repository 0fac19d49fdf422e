"""The service's public base URL: configured, or taken from the request that is being served."""

from __future__ import annotations

from flask import current_app, has_request_context, request

FALLBACK_BASE_URL = "http://127.0.0.1:5000"


def base_url() -> str:
    configured = current_app.config["BASE_URL"]
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return FALLBACK_BASE_URL
