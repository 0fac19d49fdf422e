"""Where to go after signing in: only a path on this site, so `next` is never an open redirect."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_AFTER_SIGN_IN = "/settings/tokens"


def safe_next(target: str | None) -> str:
    """`target` when it is a local path ("/x", never "//host", "/\\host" or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return DEFAULT_AFTER_SIGN_IN
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\\evil" or "/\t/evil" is "//evil".
    if "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return DEFAULT_AFTER_SIGN_IN
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return DEFAULT_AFTER_SIGN_IN
    return target
