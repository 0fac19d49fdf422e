"""`pip install tokenpatrol` (no extra) is the scanner and the `oi` client only: no web
framework, database driver or server, so the pre-commit hook's environment builds in seconds;
the service is `tokenpatrol[server]`, and `oi serve` without it says so in one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scanner import formats
from tests.support.services import unavailable

REPO = Path(__file__).resolve().parents[2]
SERVER_ONLY = ("flask", "sqlalchemy", "psycopg", "gunicorn", "authlib", "alembic", "pydantic")
INSTALL_SECONDS = 600


@pytest.fixture(scope="module")
def light_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with `pip install .` from a copy of the project's sources."""
    work = tmp_path_factory.mktemp("light-install")
    source = work / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("app", "scanner"):
        shutil.copytree(REPO / package, source / package, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        unavailable(f"pip install . failed (is the package index reachable?): {done.stderr[-800:]}")
    return venv


def run(venv: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_base_install_has_no_server_packages(light_venv: Path) -> None:
    listed = run(light_venv, "pip", "list", "--format=json", "--disable-pip-version-check")
    names = {entry["name"].lower() for entry in json.loads(listed.stdout)}
    assert "tokenpatrol" in names
    assert not [name for name in names if name.startswith(SERVER_ONLY)], sorted(names)


def test_the_base_install_scans(light_venv: Path) -> None:
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    found = run(light_venv, "oi", "scan", "-", "--no-verify", stdin=f'TOKEN = "{token}"\n')
    assert found.returncode == 1, found.stderr
    assert formats.redact(token) in found.stdout and token not in found.stdout + found.stderr


@pytest.mark.parametrize("command", [["serve"], ["server", "upgrade-db"]])
def test_server_commands_say_how_to_install_the_server(
    light_venv: Path, command: list[str]
) -> None:
    done = run(light_venv, "oi", *command)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "pip install 'tokenpatrol[server]'" in done.stderr
    assert "Traceback" not in done.stderr
