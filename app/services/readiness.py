"""Readiness: can this instance serve requests right now (database, rate-limit storage)?

`/health` stays a liveness check that touches nothing; `/ready` is for load balancers. A lost
Redis makes the instance `degraded`, not unready: rate limits then count in each process's
memory (fail open), and taking every instance out of rotation would turn a Redis outage into
a full outage.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, limiter

log = logging.getLogger(__name__)

OK, MEMORY = "ok", "memory"
FALLBACK = "unreachable: limits count in each process's memory until it is back"


@dataclass(frozen=True)
class Readiness:
    database: bool
    rate_limit_storage: str

    @property
    def status(self) -> str:
        return "ready" if self.rate_limit_storage in (OK, MEMORY) else "degraded"


def check() -> Readiness:
    return Readiness(_database_answers(), _rate_limit_storage())


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as error:
        db.session.rollback()
        log.error("readiness: the database does not answer: %s", type(error).__name__)
        return False


def _rate_limit_storage() -> str:
    if str(current_app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        return MEMORY
    try:
        alive = bool(limiter.storage.check())
    except Exception:  # noqa: BLE001 - any storage failure means "not reachable"
        alive = False
    if not alive:
        log.warning("readiness: rate-limit storage unreachable, failing open to process memory")
    return OK if alive else FALLBACK
