"""Where the service is, and (from the leak-protocol issue on) what it says about each finding.

Until the leak protocol lands, asking for verification or revocation reports plainly that it
is not configured and every finding stays `unverified`.
"""

from __future__ import annotations

import os

APP_URL_ENV = "OPENINDEX_APP_URL"


def configured_app_url(flag: str | None) -> str | None:
    """`--app-url`, else OPENINDEX_APP_URL."""
    return flag or os.environ.get(APP_URL_ENV) or None


def not_configured_reason(app_url: str | None) -> str:
    if app_url is None:
        return (
            "verification not configured: no service URL (--app-url or OPENINDEX_APP_URL); "
            "findings are unverified"
        )
    return (
        "verification not configured: this oi cannot talk to the service yet; "
        "findings are unverified"
    )
