"""Wrong codes on the device code page are throttled per signed-in user and per address.

A user code has 34 bits and lives ten minutes, so guessing one is hopeless only while guesses
are few: failures count in a moving window (as failed sign-ins do, app/web/throttle.py), a
right code costs nothing, and the code entry and the consent form share the count (both look
a code up).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from app.web.session import signed_in_user

F = TypeVar("F", bound=Callable[..., Any])
MISSED = "device_code_missed"
THROTTLED_ENDPOINTS = frozenset({"device.check_code", "device.decide"})
TOO_MANY = "Too many wrong codes. Try again in {seconds} seconds."

entry_limiter = Limiter(get_remote_address, strategy="moving-window", headers_enabled=False)


def missed() -> None:
    """The view looked a code up and found none: this request counts as a failure."""
    g.setdefault(MISSED, True)


def _counts(_response: Response) -> bool:
    return bool(g.get(MISSED, False))


def _user_limit() -> str:
    return str(current_app.config["OAUTH_DEVICE_ENTRY_RATE_LIMIT"])


def _address_limit() -> str:
    return str(current_app.config["OAUTH_DEVICE_ENTRY_ADDRESS_RATE_LIMIT"])


def _signed_in_user() -> str:
    user = signed_in_user()
    return f"user {user.id}" if user is not None else f"anonymous {get_remote_address()}"


_per_user = entry_limiter.shared_limit(
    _user_limit, "device-code-user", key_func=_signed_in_user, deduct_when=_counts
)
_per_address = entry_limiter.shared_limit(
    _address_limit, "device-code-address", key_func=get_remote_address, deduct_when=_counts
)


def failed_entries(view: F) -> F:
    """Both limits on a view that looks a user code up."""
    return cast(F, _per_address(_per_user(view)))


@entry_limiter.request_filter
def _not_a_code_entry() -> bool:
    return request.endpoint not in THROTTLED_ENDPOINTS


def init_app(app: Flask) -> None:
    entry_limiter.init_app(app)


def retry_after_seconds() -> int:
    """Seconds until the oldest failure in the window ages out."""
    breached = entry_limiter.current_limit
    if breached is None:
        return 60
    wait = breached.window.reset_time - time.time()
    return max(1, math.ceil(round(wait, 3)))
