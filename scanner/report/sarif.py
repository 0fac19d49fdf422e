"""`--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it."""

from __future__ import annotations

import json
from typing import Any, TextIO
from urllib.parse import quote

from scanner import formats, installed_version
from scanner.findings import Finding
from scanner.report import Summary

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/tokenpatrol/tokenpatrol"


def write(findings: list[Finding], summary: Summary, stream: TextIO) -> None:
    json.dump(document(findings), stream, indent=2)
    stream.write("\n")


def document(findings: list[Finding]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tokenpatrol",
                        "version": installed_version(),
                        "semanticVersion": installed_version(),
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(fmt) for fmt in formats.REGISTRY],
                    }
                },
                "results": [_result(finding) for finding in findings],
            }
        ],
    }


def _rule(fmt: formats.TokenFormat) -> dict[str, Any]:
    return {
        "id": fmt.kind,
        "name": fmt.kind.title().replace("_", ""),
        "shortDescription": {"text": f"Leaked tokenpatrol {fmt.description}"},
        "fullDescription": {
            "text": f"A tokenpatrol {fmt.description} ({fmt.prefix}...) is committed to the "
            "repository. Revoke it (oi revoke) and create a replacement."
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", "secret"], "security-severity": "9.0"},
    }


def _result(finding: Finding) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.kind,
        "level": "error",
        "message": {
            "text": f"Leaked {finding.kind.replace('_', ' ')} {finding.redacted} "
            f"(fingerprint {finding.fingerprint}, status {finding.status})"
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(finding.path_bytes.replace(b"\\", b"/"))},
                    "region": {"startLine": finding.line},
                }
            }
        ],
        "partialFingerprints": {"tokenFingerprint/v1": finding.fingerprint},
    }
    if finding.commit:
        result["properties"] = {
            "commit": finding.commit,
            "author": finding.author,
            "date": finding.date,
        }
    return result
