"""Is the database's schema the one this release was written for?

A database behind Alembic's head (a new SQLite file, a release deployed before
`oi server upgrade-db`) answers `SELECT 1` and fails every real query. So servers refuse to
start on it, `/ready` answers 503 while it lasts, and `oi serve` upgrades SQLite itself.
"""

from __future__ import annotations

import functools
import logging

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

from app.config import StartupRefused
from app.extensions import db

log = logging.getLogger(__name__)

UPGRADE_HINT = "run `oi server upgrade-db`"
VERSION_TABLE = "alembic_version"  # read directly: alembic's MigrationContext logs each time


@functools.cache
def head_revision() -> str:
    """The newest migration this release ships."""
    from app import MIGRATIONS_DIRECTORY

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIRECTORY)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "the release ships no migration"
    return head


def database_revision() -> str | None:
    """The revision the database is at (None: no schema at all). Raises SQLAlchemyError when
    the database does not answer."""
    with db.engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def is_current() -> bool:
    return database_revision() == head_revision()


def behind(revision: str | None) -> str:
    """One line: where the schema is, what this release needs, and the command that fixes it."""
    found = "has no schema" if revision is None else f"is at revision {revision}"
    return f"the database {found}; this release needs {head_revision()}: {UPGRADE_HINT}"


def refuse_if_behind(app: Flask) -> None:
    """Start-up check for a server. A database that does not answer is not refused (it may be
    restarting; `/ready` reports it), one that answers with an old schema is."""
    with app.app_context():
        try:
            revision = database_revision()
        except SQLAlchemyError as error:
            log.warning("the database does not answer at start-up: %s", type(error).__name__)
            return
        finally:
            db.engine.dispose()  # no connection survives into a forked worker
    if revision != head_revision():
        raise StartupRefused(behind(revision))
