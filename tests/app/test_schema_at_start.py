"""A database behind the migrations: `oi serve` upgrades SQLite itself, every other server
refuses to start naming `oi server upgrade-db`, and `/ready` answers 503 while it lasts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, text

from app.config import StartupRefused
from tests.support import databases
from tests.support.api import Api
from tests.support.databases import ROOT_KEY
from tests.support.gunicorn import CONFIG, gunicorn_command
from tests.support.live_server import free_port, oi_command, running_server, server_environment

OLD_REVISION = "0008_token_lineage"
UPGRADE = "oi server upgrade-db"


def put_schema_at(url: str, revision: str) -> None:
    """Make the database say it is at an older revision (what a release before it left)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def refused_in_one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout[-2000:]
    assert "Traceback" not in done.stdout, done.stdout[-2000:]
    lines = [line for line in done.stdout.splitlines() if UPGRADE in line]
    assert len(lines) == 1, done.stdout[-2000:]
    return lines[0]


def run_server(command: list[str], url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = server_environment(
        url, tmp_path / "instance", TOKENPATROL_BIND=f"127.0.0.1:{free_port()}"
    )
    return subprocess.run(
        command,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        check=False,
    )


def test_oi_serve_migrates_a_new_sqlite_file_anywhere(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'custom.db'}"
    with running_server(url, tmp_path) as server:
        ready = requests.get(f"{server.url}/ready", timeout=10)
        accounts = requests.get(
            f"{server.url}/api/v1/admin/accounts", headers={"X-API-Key": ROOT_KEY}, timeout=10
        )
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert accounts.status_code == 200


def test_oi_serve_refuses_another_database_behind_the_migrations(
    database_url: str, tmp_path: Path
) -> None:
    if databases.backend() == "sqlite":
        pytest.skip("oi serve upgrades SQLite itself; this case runs on the PostgreSQL pass")
    put_schema_at(database_url, OLD_REVISION)
    done = run_server([*oi_command(), "serve", "--port", str(free_port())], database_url, tmp_path)
    line = refused_in_one_line(done)
    assert done.returncode == 2 and OLD_REVISION in line


def test_gunicorn_refuses_a_database_with_no_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    done = run_server([*gunicorn_command(), "-c", str(CONFIG), "app:create_app()"], url, tmp_path)
    assert "has no schema" in refused_in_one_line(done)


def test_flask_run_refuses_a_database_behind_in_one_line(database_url: str, tmp_path: Path) -> None:
    put_schema_at(database_url, OLD_REVISION)
    flask = [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(free_port())]
    assert OLD_REVISION in refused_in_one_line(run_server(flask, database_url, tmp_path))


def test_create_app_refuses_a_database_behind(
    database_url: str, make_app: Callable[..., Flask]
) -> None:
    put_schema_at(database_url, OLD_REVISION)
    with pytest.raises(StartupRefused) as refused:
        make_app(SCHEMA_CHECK_ON_START=True)
    assert UPGRADE in refused.value.message


def test_a_database_that_does_not_answer_at_start_is_left_to_ready(
    make_app: Callable[..., Flask],
) -> None:
    # It may be restarting: refusing to start would turn its restart into an outage.
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
    app = make_app(SCHEMA_CHECK_ON_START=True, DATABASE_URL=url)
    assert Api(app.test_client()).call("GET", "/ready").status == 503


def test_ready_is_503_while_the_schema_is_behind(database_url: str, app: Flask) -> None:
    api = Api(app.test_client())
    assert api.call("GET", "/ready").status == 200
    put_schema_at(database_url, OLD_REVISION)
    behind = api.call("GET", "/ready")
    assert behind.status == 503 and behind.error_code == "UNAVAILABLE"
    assert (
        UPGRADE in behind.body["error"]["message"]
        and OLD_REVISION in behind.body["error"]["message"]
    )
