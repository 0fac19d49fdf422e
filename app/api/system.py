"""Unauthenticated endpoints: liveness, readiness and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from app import openapi
from app.api.routing import operation
from app.errors import ApiError
from app.schemas import Health, Ready
from app.services import readiness

bp = Blueprint("system", __name__)


@operation(
    bp,
    "GET",
    "/health",
    summary="Liveness check (never authenticated)",
    tag="system",
    response=Health,
)
def health() -> Health:
    return Health()


class NotReady(ApiError):
    status, code = 503, "UNAVAILABLE"


@operation(
    bp,
    "GET",
    "/ready",
    summary="Readiness check for load balancers: database, its schema, rate-limit storage",
    tag="system",
    response=Ready,
)
def ready() -> Ready:
    state = readiness.check()
    if not state.database:
        raise NotReady("not ready: the database does not answer")
    if state.schema_behind:
        raise NotReady(f"not ready: {state.schema_behind}")
    return Ready(status=state.status, database="ok", rate_limit_storage=state.rate_limit_storage)


@operation(
    bp,
    "GET",
    "/openapi.json",
    summary="This OpenAPI 3.1 document",
    tag="system",
    response=dict[str, Any],
)
def openapi_document() -> dict[str, Any]:
    return openapi.document()
