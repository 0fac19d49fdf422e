"""Verification and revocation of findings against the service that issued them.

Where the service is: the configured URL (`--app-url`, OPENINDEX_APP_URL or the active
profile's `app_url`, which the caller resolves), else the `iss` of an `oai_` token, but only
when that host is allowed (TOKENPATROL_ALLOWED_ISSUERS, comma-separated): a token must not make
the scanner send data to a host its payload names.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from scanner import formats
from scanner.client import LeakClient
from scanner.findings import Finding
from scanner.transport import ServiceError

ALLOWED_ISSUERS_ENV = "TOKENPATROL_ALLOWED_ISSUERS"


def app_url_for(configured: str | None, findings: list[Finding]) -> str | None:
    """The configured URL, else an allowed issuer named by an `oai_` finding."""
    if configured:
        return configured
    allowed = {
        host.strip().rstrip("/") for host in os.environ.get(ALLOWED_ISSUERS_ENV, "").split(",")
    }
    for finding in findings:
        payload = formats.API_TOKEN.decode_payload(finding.token)
        issuer = str(payload.get("iss", "")).rstrip("/") if payload else ""
        if issuer and issuer in allowed:
            return issuer
    return None


def verify(findings: list[Finding], app_url: str) -> None:
    """Set each finding's status from the service (one request per 1,000 distinct hashes)."""
    answers = LeakClient(app_url).check([formats.token_hash(f.token) for f in findings])
    for finding in findings:
        answer = answers.get(formats.token_hash(finding.token), {})
        status = answer.get("status")
        finding.status = status if status in ("active", "revoked", "expired") else "unknown"


def revoke_live(findings: list[Finding], app_url: str, source: str, cwd: Path) -> None:
    """Revoke the active findings, each with where it was found; they become `revoked_now`."""
    repo = _origin_url(cwd)
    by_location: dict[tuple[Any, ...], list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.status == "active":
            by_location[(finding.commit, finding.display_path, finding.line)].append(finding)
    client = LeakClient(app_url)
    for (commit, path, line), group in by_location.items():
        location = {"repo": repo, "commit": commit, "path": path, "line": line}
        results = client.revoke([f.token for f in group], location, source)
        for finding, result in zip(group, results, strict=True):
            if result.get("result") == "revoked":
                finding.status = "revoked_now"
            elif result.get("result") == "already_revoked":
                # It was live when this scan checked it: somebody else revoked it since. It
                # still leaked while it worked, so it is not reported as long dead.
                finding.status = "revoked_meanwhile"


def _origin_url(cwd: Path) -> str | None:
    """`git remote get-url origin`, without any credentials embedded in it."""
    from urllib.parse import urlsplit, urlunsplit

    from scanner import git

    try:
        url = git.run("remote", "get-url", "origin", cwd=cwd).strip()
    except (git.GitError, OSError):
        return None
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return urlunsplit(parts) if parts.scheme else url or None


__all__ = ["ServiceError", "app_url_for", "revoke_live", "verify"]
