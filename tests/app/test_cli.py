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


SIGNING_KEY_WARNING = "TOKENPATROL_SIGNING_KEYS is not set"


def test_an_unusable_instance_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    for instance in (a_file, Path("/proc/self/tokenpatrol")):
        env = server_environment(f"sqlite:///{tmp_path / 'db.sqlite3'}", instance)
        done = run_oi("server", "upgrade-db", env=env)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
        assert f"the instance folder {instance} cannot be used" in done.stderr
        assert "TOKENPATROL_INSTANCE_PATH" in done.stderr


def test_maintenance_commands_warn_about_the_local_signing_key_once(tmp_path: Path) -> None:
    env = server_environment(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "instance")
    del env["TOKENPATROL_SIGNING_KEYS"], env["TOKENPATROL_ROOT_API_KEY"]
    first = run_oi("server", "upgrade-db", env=env)  # makes the key: says so
    again = [run_oi("server", "mail", "status", env=env) for _ in range(2)]
    assert first.returncode == 0 and SIGNING_KEY_WARNING in first.stderr, first.stderr[-2000:]
    for done in again:
        assert done.returncode == 0, done.stderr[-2000:]
        assert SIGNING_KEY_WARNING not in done.stderr and "DEVELOPMENT MODE" not in done.stderr


def test_mail_commands_say_when_no_smtp_server_is_configured(tmp_path: Path) -> None:
    env = server_environment(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "instance")
    assert run_oi("server", "upgrade-db", env=env).returncode == 0
    for command in (("notify-expiring",), ("mail", "send")):
        done = run_oi("server", *command, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert (
            "nothing sent: no SMTP server is configured (set TOKENPATROL_SMTP_URL)" in done.stdout
        )
