"""Failed sign-ins are throttled per client address and login name; successes cost nothing."""

from __future__ import annotations

import time

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address

from app.extensions import limiter

DEFAULT_LOGIN_RATE_LIMIT = "5/minute"
TOO_MANY = "Too many failed sign-ins. Try again in {seconds} seconds."


def _login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _address_and_login() -> str:
    login = (request.form.get("login") or "").strip().lower()
    return f"{get_remote_address()} {login}"


def _failed(response: Response) -> bool:
    """Only a sign-in that did not redirect (the success answer) counts against the limit."""
    return response.status_code != 302


failed_sign_ins = limiter.limit(
    _login_rate_limit,
    key_func=_address_and_login,
    methods=["POST"],
    deduct_when=_failed,
)


def retry_after_seconds() -> int:
    """Seconds until the limit that was just hit lets sign-ins through again."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, int(breached.reset_at - time.time()))
