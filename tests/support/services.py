"""External services for tests: skip when absent, fail under TOKENPATROL_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os

import pytest


def required() -> bool:
    return os.environ.get("TOKENPATROL_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skip the test, or fail it when CI demands every service."""
    if required():
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)
