"""A finding: which token leaked where. The raw token stays in memory for verification only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner import formats


@dataclass
class Finding:
    token: str = field(repr=False)
    kind: str
    path: str
    line: int
    commit: str | None = None
    author: str | None = None
    date: str | None = None
    status: str = "unverified"
    blob: str | None = field(default=None, repr=False)

    @property
    def fingerprint(self) -> str:
        return formats.fingerprint(self.token)

    @property
    def display_path(self) -> str:
        """The path as printable text: undecodable bytes and newlines escaped, never a crash."""
        raw = self.path.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace").replace("\n", "\\n").replace("\r", "\\r")

    @property
    def path_bytes(self) -> bytes:
        return self.path.encode("utf-8", "surrogateescape")

    @property
    def redacted(self) -> str:
        return formats.redact(self.token)

    def to_json(self) -> dict[str, Any]:
        """The contract's shape; never the token itself."""
        return {
            "fingerprint": self.fingerprint,
            "kind": self.kind,
            "redacted": self.redacted,
            "path": self.display_path,
            "line": self.line,
            "commit": self.commit,
            "author": self.author,
            "date": self.date,
            "status": self.status,
        }
