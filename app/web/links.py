"""Links to where a token leaked: only http(s), only to a commit page we can be sure of."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

COMMIT_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")


def is_web_url(url: str | None) -> bool:
    """http(s) with a host: never javascript:, data: or a relative path."""
    if not url:
        return False
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def commit_link(repo: str | None, commit: str | None, url: str | None = None) -> str | None:
    """The event's own URL, else `{repo}/commit/{sha}` for an https GitHub/GitLab-style repo."""
    if url and is_web_url(url):
        return url.strip()
    if not repo or not commit or not COMMIT_SHA.match(commit):
        return None
    parts = urlsplit(repo.strip())
    owner_and_name = [segment for segment in parts.path.split("/") if segment]
    if parts.scheme != "https" or not parts.hostname or len(owner_and_name) < 2:
        return None
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    base = repo.strip().rstrip("/").removesuffix(".git")
    return f"{base}/commit/{commit}"
