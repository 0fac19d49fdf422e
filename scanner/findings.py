"""A finding: which token leaked where. The raw token stays in memory for verification only."""

from __future__ import annotations

from scanner import formats

TYPE_CHECKING = False  # typing stays unimported on the pre-commit path
if TYPE_CHECKING:
    from typing import Any


class Finding:
    """Mutable: history scans fill in the commit, verification the status. A plain class with
    slots, since importing dataclasses costs the pre-commit path about 6 ms."""

    __slots__ = ("author", "blob", "commit", "date", "kind", "line", "path", "status", "token")

    def __init__(
        self, token: str, kind: str, path: str, line: int, *, blob: str | None = None
    ) -> None:
        self.token, self.kind, self.path, self.line, self.blob = token, kind, path, line, blob
        self.commit: str | None = None
        self.author: str | None = None
        self.date: str | None = None
        self.status = "unverified"

    def __repr__(self) -> str:
        return f"Finding({self.redacted}, {self.kind}, {self.display_path}:{self.line})"

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
