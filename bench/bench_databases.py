"""Throwaway databases for the benchmarks: a SQLite file, or a PostgreSQL database made and
dropped around one run."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError


def filler_row(index: int, user_pk: int, now: dt.datetime) -> dict[str, Any]:
    """One filler PAT row with a random hash, so lookups run against a table of real size."""
    return {
        "id": f"pat_f{index:015d}",
        "kind": "pat",
        "user_pk": user_pk,
        "name": f"filler-{index}",
        "scope": "read",
        "token_hash": secrets.token_hex(32),
        "display_prefix": "oi_pat_",
        "last4": f"{index % 10_000:04d}",
        "created_at": now,
    }


class PostgresUnreachable(Exception):
    """The PostgreSQL server could not be reached."""


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / 'bench.sqlite3'}"


@contextmanager
def postgres_database(server_url: str, prefix: str = "bench") -> Iterator[str]:
    """CREATE DATABASE <prefix>_<random>, and DROP it WITH (FORCE) however the run ends."""
    admin = postgres_admin_engine(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        _autocommit(admin, f'CREATE DATABASE "{name}"')
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            _autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def postgres_admin_engine(server_url: str) -> Engine:
    return create_engine(
        server_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )


def check_postgres(server_url: str) -> None:
    engine = postgres_admin_engine(server_url)
    try:
        _autocommit(engine, "SELECT 1")
    except OperationalError as error:
        where = make_url(server_url).render_as_string(hide_password=True)
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "connection failed"
        raise PostgresUnreachable(f"PostgreSQL at {where} is unreachable: {reason}") from None
    finally:
        engine.dispose()


def _autocommit(engine: Engine, statement: str) -> None:
    with engine.connect() as connection:
        connection.execute(text(statement))
