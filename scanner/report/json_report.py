"""`--format json`: one object, `{"findings": [...], "summary": {...}}` (the contract's shape)."""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing's, without importing typing (a tree scan's report loads this)
if TYPE_CHECKING:
    from typing import TextIO

    from scanner.findings import Finding
    from scanner.report import Summary


def write(findings: list[Finding], summary: Summary, stream: TextIO) -> None:
    document = {
        "findings": [finding.to_json() for finding in findings],
        "summary": summary.to_json(),
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")
