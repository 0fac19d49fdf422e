"""A fresh, migrated database per test: a copied SQLite file, or a PostgreSQL template copy.

The suite runs on SQLite by default; `TOKENPATROL_TEST_DATABASE_URL=postgresql+psycopg://...`
(a server URL; any database name in it is only used to connect) runs it on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.services import unavailable

TEST_DATABASE_ENV = "TOKENPATROL_TEST_DATABASE_URL"


def backend() -> str:
    url = os.environ.get(TEST_DATABASE_ENV)
    return "sqlite" if not url else make_url(url).get_backend_name()


def migrate(url: str, instance: Path) -> None:
    """Bring the database at `url` to Alembic head through the real upgrade path."""
    from app import create_app
    from app.cli import upgrade_database
    from app.extensions import db

    app = create_app(test_config(url, instance))
    upgrade_database(app)
    with app.app_context():
        db.engine.dispose()  # closes SQLite's WAL, so the template file is complete


def test_config(url: str, instance: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "SCHEMA_CHECK_ON_START": False,  # the suite migrates its own databases after creating
        "DATABASE_URL": url,
        "ROOT_API_KEY": ROOT_KEY,
        "SIGNING_KEYS": SIGNING_KEYS,
        "SECRET_KEY": "test-secret-key",
        "RATELIMIT_STORAGE_URI": "memory://",
        "INSTANCE_PATH": str(instance),
    }


ROOT_KEY = "test-root-key-0123456789abcdefghijklmnopqrstuvwxyz"
SIGNING_KEYS = "k2026:first-signing-secret-for-tests,k2025:older-signing-secret-for-tests"


class SqliteDatabases:
    def __init__(self, workdir: Path) -> None:
        self.template = workdir / "template.sqlite3"
        migrate(f"sqlite:///{self.template}", workdir)

    @contextmanager
    def fresh(self, directory: Path) -> Iterator[str]:
        target = directory / "tokenpatrol.sqlite3"
        shutil.copyfile(self.template, target)
        yield f"sqlite:///{target}"


class PostgresDatabases:
    def __init__(self, server_url: str, workdir: Path) -> None:
        self.server = make_url(server_url)
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        try:
            with self.admin.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure to connect means "absent"
            unavailable(f"PostgreSQL at {self.server.host}:{self.server.port} unreachable: {error}")
        self.template_name = f"tokenpatrol_template_{uuid.uuid4().hex[:10]}"
        self._execute(f'CREATE DATABASE "{self.template_name}"')
        migrate(self._url(self.template_name), workdir)

    @contextmanager
    def fresh(self, directory: Path) -> Iterator[str]:
        name = f"tokenpatrol_test_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"')
        try:
            yield self._url(name)
        finally:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')
        self.admin.dispose()

    def _url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(statement))
