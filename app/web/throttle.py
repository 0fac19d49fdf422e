"""Failed sign-ins are throttled per client address and login name, and per address whatever
names it tries; successes cost nothing.

The count is a moving window (`sign_in_limiter`): at most N failures in any window-long span
of time, wherever the window's edges fall. A refused attempt is answered before its password
is checked, so the per-address limit also bounds the argon2 work one address can cause.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, request
from flask_limiter.util import get_remote_address

from app.extensions import sign_in_limiter

F = TypeVar("F", bound=Callable[..., Any])
SIGN_IN_ENDPOINT = "web.login"
FORGOT_PASSWORD_ENDPOINT = "web.forgot_password"
TOO_MANY = "Too many failed sign-ins. Try again in {seconds} seconds."


def _login_rate_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _address_rate_limit() -> str:
    return str(current_app.config["LOGIN_ADDRESS_RATE_LIMIT"])


def _address_and_login() -> str:
    login = (request.form.get("login") or "").strip().lower()
    return f"{get_remote_address()} {login}"


def _failed(response: Response) -> bool:
    """Only a sign-in that did not redirect (the success answer) counts against the limit."""
    return response.status_code != 302


failed_sign_ins_for_a_login = sign_in_limiter.limit(
    _login_rate_limit,
    key_func=_address_and_login,
    methods=["POST"],
    deduct_when=_failed,
)
failed_sign_ins_from_an_address = sign_in_limiter.limit(
    _address_rate_limit,
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_failed,
)


def failed_sign_ins(view: F) -> F:
    """Both limits on the sign-in view."""
    return cast(F, failed_sign_ins_from_an_address(failed_sign_ins_for_a_login(view)))


# "Forgot password?" mails a link: every request counts, so nobody fills an inbox with them.
password_links_for_a_login = sign_in_limiter.limit(
    lambda: str(current_app.config["PASSWORD_LINK_RATE_LIMIT"]),
    key_func=_address_and_login,
    methods=["POST"],
)
password_links_from_an_address = sign_in_limiter.limit(
    lambda: str(current_app.config["PASSWORD_LINK_ADDRESS_RATE_LIMIT"]),
    key_func=get_remote_address,
    methods=["POST"],
)


def password_link_requests(view: F) -> F:
    return cast(F, password_links_from_an_address(password_links_for_a_login(view)))


def init_app(app: Flask) -> None:
    """Bind the sign-in limiter; it looks at the sign-in and forgot-password pages only."""
    sign_in_limiter.init_app(app)


@sign_in_limiter.request_filter
def _not_throttled_here() -> bool:
    return request.endpoint not in (SIGN_IN_ENDPOINT, FORGOT_PASSWORD_ENDPOINT)


def retry_after_seconds() -> int:
    """Seconds until the oldest failure in the window ages out and lets a sign-in through."""
    breached = sign_in_limiter.current_limit
    if breached is None:
        return 60
    # reset_time is when the oldest failure leaves the window (reset_at rounds it up a second).
    wait = breached.window.reset_time - time.time()
    return max(1, math.ceil(round(wait, 3)))
