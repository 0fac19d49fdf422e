"""Readiness: can this instance serve requests right now (database, rate-limit storage)?

`/health` stays a liveness check that touches nothing; `/ready` is for load balancers: the
database must answer, with the schema this release needs. A lost
Redis makes the instance `degraded`, not unready: rate limits then count in each process's
memory (fail open), and taking every instance out of rotation would turn a Redis outage into
a full outage.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app import schema
from app.services import budgets

log = logging.getLogger(__name__)

OK, MEMORY = "ok", "memory"
FALLBACK = "unreachable: limits count in each process's memory until it is back"


@dataclass(frozen=True)
class Readiness:
    database: bool
    rate_limit_storage: str
    schema_behind: str | None = None  # why the schema is not the release's, when it is not

    @property
    def status(self) -> str:
        return "ready" if self.rate_limit_storage in (OK, MEMORY) else "degraded"


def check() -> Readiness:
    answers, behind = _database()
    return Readiness(answers, _rate_limit_storage(), behind)


def _database() -> tuple[bool, str | None]:
    """Does the database answer, and if so, is its schema the release's?"""
    try:
        revision = schema.database_revision()
    except SQLAlchemyError as error:
        log.error("readiness: the database does not answer: %s", type(error).__name__)
        return False, None
    if revision == schema.head_revision():
        return True, None
    log.error("readiness: %s", schema.behind(revision))
    return True, schema.behind(revision)


def _rate_limit_storage() -> str:
    if str(current_app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        return MEMORY
    alive = budgets.current().answers()
    if not alive:
        log.warning("readiness: rate-limit storage unreachable, failing open to process memory")
    return OK if alive else FALLBACK
