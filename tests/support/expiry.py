"""Tokens that expire while a test watches, without depending on how fast the machine is.

A test makes a token that expires in a moment, checks that it works, waits until it has
expired and checks that it no longer does. On a busy machine the checks can take longer than
the moment, and the token expires under them. So the lifetime starts short and doubles until
the checks finish with the token still valid; only then does the test wait and go on.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TypeVar

Made = TypeVar("Made")

FIRST_LIFETIME_SECONDS = 2.0
LONGEST_LIFETIME_SECONDS = 128.0
# Wait a little past the expiry, so that a comparison to the second also sees it passed.
AFTER_EXPIRY_SECONDS = 1.1


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def valid_then_expired(make: Callable[[dt.datetime], Made], works: Callable[[Made], bool]) -> Made:
    """`make(expires_at)` a token; `works(token)` must hold while it is valid; wait it out."""
    made, expires_at = valid_until(make, works)
    wait_past(expires_at)
    return made


def valid_until(
    make: Callable[[dt.datetime], Made], works: Callable[[Made], bool]
) -> tuple[Made, dt.datetime]:
    """The token, checked while valid, and its expiry (not waited for).

    Fails only when `works` is false although it ran entirely before the expiry.
    """
    lifetime = FIRST_LIFETIME_SECONDS
    while True:
        expires_at = now() + dt.timedelta(seconds=lifetime)
        made = make(expires_at)
        worked = works(made)
        if now() < expires_at:
            assert worked, f"the token failed its checks before it expired (lifetime {lifetime}s)"
            return made, expires_at
        if lifetime >= LONGEST_LIFETIME_SECONDS:
            raise AssertionError(f"checks took longer than {lifetime}s even with that lifetime")
        lifetime *= 2


def wait_past(expires_at: dt.datetime) -> None:
    margin = dt.timedelta(seconds=AFTER_EXPIRY_SECONDS)
    time.sleep(max(0.0, (expires_at + margin - now()).total_seconds()))
