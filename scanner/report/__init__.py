"""Reporters: findings and a summary in, text/json/sarif out to a stream. No token ever printed."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays unimported on the pre-commit path
if TYPE_CHECKING:
    from typing import Any


class Summary:
    """Counts for the report's last line and the JSON `summary` (a plain class: no dataclasses
    import on the pre-commit path)."""

    def __init__(self, source: str, warnings: list[str]) -> None:
        self.source = source
        self.warnings = warnings
        self.scanned = self.findings = self.baselined = self.allowed = 0
        self.verified = False

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "scanned": self.scanned,
            "findings": self.findings,
            "baselined": self.baselined,
            "allowed": self.allowed,
            "verified": self.verified,
            "warnings": self.warnings,
        }
