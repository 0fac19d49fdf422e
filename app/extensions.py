"""Extension objects, created unbound here and bound to an app in `create_app`."""

from __future__ import annotations

import sqlite3
from typing import Any

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

# Per client address, on the endpoints that take no token (OAuth, leak reports): each names
# its limit with `limiter.limit`. A credential's own budget is `app.services.budgets`.
limiter = Limiter(get_remote_address, headers_enabled=True)

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
