"""Unauthenticated endpoints: liveness and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from app import openapi
from app.api.routing import operation
from app.schemas import Health

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
