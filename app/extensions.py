"""Extension objects, created unbound here and bound to an app in `create_app`."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()

# Authentication (app/auth.py) stores the token's budget on `g`; the limiter only reads it, so
# this module imports nothing of the app's. A request that authenticated nothing (a public
# page) has no budget here and is exempt.
RATE_LIMIT_KEY = "rate_limit_key"
SCOPE_LIMIT = "scope_limit"
UNLIMITED = "1000000/hour"  # never applied: such a request is exempt


def _rate_limit_key() -> str:
    return str(g.get(RATE_LIMIT_KEY, "anonymous"))


def _scope_limit() -> str:
    return str(g.get(SCOPE_LIMIT, UNLIMITED))


def _unauthenticated() -> bool:
    return RATE_LIMIT_KEY not in g


# One hourly budget per token across all endpoints, sized by the token's scope (seed 003).
limiter = Limiter(
    _rate_limit_key,
    application_limits=[_scope_limit],
    application_limits_exempt_when=_unauthenticated,
    headers_enabled=True,
)

# Failed sign-ins (app/web/throttle.py) count in a moving window: every failure is remembered
# for the whole window, so the limit holds exactly wherever the attempts fall, a window's edge
# included (a fixed or weighted window lets a burst through there).
sign_in_limiter = Limiter(get_remote_address, strategy="moving-window", headers_enabled=False)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """SQLite enforces ON DELETE CASCADE only when asked; WAL lets readers run beside a writer."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
