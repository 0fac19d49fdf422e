"""Baselines: fingerprints of accepted findings (never positions: positions churn)."""

from __future__ import annotations

from pathlib import Path

from scanner.errors import EXIT_ERROR, OiError
from scanner.findings import Finding

VERSION = 1


class BaselineError(OiError):
    """The baseline file is missing or not ours (json loads only when a baseline is used)."""

    exit_code = EXIT_ERROR


def load(path: Path) -> set[str]:
    import json

    try:
        document = json.loads(path.read_text())
        return {str(fp) for fp in document["fingerprints"]}
    except FileNotFoundError as error:
        raise BaselineError(
            f"baseline {path} does not exist (create it with --update-baseline)"
        ) from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BaselineError(f"baseline {path} is not a tokenpatrol baseline file") from error


def save(path: Path, findings: list[Finding]) -> int:
    import json

    fingerprints = sorted({finding.fingerprint for finding in findings})
    path.write_text(json.dumps({"version": VERSION, "fingerprints": fingerprints}, indent=2) + "\n")
    return len(fingerprints)
