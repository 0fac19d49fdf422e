"""Reporters: findings and a summary in, text/json/sarif out to a stream. No token ever printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Summary:
    source: str
    scanned: int = 0
    findings: int = 0
    baselined: int = 0
    allowed: int = 0
    verified: bool = False
    warnings: list[str] = field(default_factory=list)

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
