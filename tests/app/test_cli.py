"""The `oi` entry point and the server commands, run as real processes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect

from tests.support.live_server import oi_command, server_environment


def run_oi(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*oi_command(), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_upgrade_db_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    done = run_oi("server", "upgrade-db", env=server_environment(url, tmp_path / "instance"))
    assert done.returncode == 0, done.stderr[-2000:]
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {
        "accounts",
        "users",
        "tokens",
        "invites",
        "audit_events",
        "instance_settings",
        "alembic_version",
    } <= tables


def test_serve_refuses_a_public_address_in_development_mode(tmp_path: Path) -> None:
    env = server_environment(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "instance")
    del env["TOKENPATROL_ROOT_API_KEY"]
    done = run_oi("serve", "--host", "0.0.0.0", "--port", "5999", env=env)
    assert done.returncode == 2
    assert "refusing to bind to 0.0.0.0" in done.stderr and "Traceback" not in done.stderr


def test_unknown_command_and_bad_option_exit_2() -> None:
    assert run_oi("frobnicate").returncode == 2
    bad = run_oi("serve", "--port", "not-a-number")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_help_lists_the_commands() -> None:
    done = run_oi("--help")
    assert done.returncode == 0 and "serve" in done.stdout and "server" in done.stdout
