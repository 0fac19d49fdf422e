"""/openapi.json, built from the operations' own request and response models (OpenAPI 3.1)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from app.api.routing import OPERATIONS, Operation
from app.oauth.openapi_paths import oauth_paths
from app.schemas import ID_PATTERN, PUBLIC_ID_PATTERN, ErrorEnvelope
from app.urls import base_url

REF_TEMPLATE = "#/components/schemas/{model}"
PARAMETER_PATTERNS = {
    "account_id": ID_PATTERN,
    "user_id": ID_PATTERN,
    "token_id": PUBLIC_ID_PATTERN,
    "invite_id": PUBLIC_ID_PATTERN,
}
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyAuth": []}]
_RULE_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


def document() -> dict[str, Any]:
    schemas, components = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path = _RULE_ARGUMENT.sub(r"{\1}", op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, schemas)
    paths.update(oauth_paths(schemas[(-1, "error")]))
    return {
        "openapi": "3.1.0",
        "info": {"title": "tokenpatrol", "version": "1"},
        "servers": [{"url": base_url()}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }


def _schemas() -> tuple[dict[tuple[int, str], Any], dict[str, Any]]:
    """One JSON Schema per body and response, sharing one components section."""
    inputs: list[tuple[tuple[int, str], JsonSchemaMode, TypeAdapter[Any]]] = [
        ((-1, "error"), "serialization", TypeAdapter(ErrorEnvelope))
    ]
    for index, op in enumerate(OPERATIONS):
        inputs.append(((index, "response"), "serialization", TypeAdapter(op.response_schema_type)))
        if op.body is not None:
            inputs.append(((index, "body"), "validation", TypeAdapter(op.body)))
    mapping, definitions = TypeAdapter.json_schemas(
        inputs, ref_template=REF_TEMPLATE, by_alias=True
    )
    schemas = {key: schema for (key, _mode), schema in mapping.items()}
    return schemas, definitions.get("$defs", {})


def _operation(op: Operation, schemas: dict[tuple[int, str], Any]) -> dict[str, Any]:
    index = OPERATIONS.index(op)
    error = {"description": "error", "content": _json(schemas[(-1, "error")])}
    described: dict[str, Any] = {
        "operationId": op.rule.strip("/").replace("/", "_").replace("<", "").replace(">", "")
        + "_"
        + op.method.lower(),
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": [_parameter(name) for name in _RULE_ARGUMENT.findall(op.rule)],
        "responses": {str(op.status): _success(op, schemas[(index, "response")]), "default": error},
        "security": SECURITY if op.access is not None else [],
    }
    if op.body is not None:
        required = any(field.is_required() for field in op.body.model_fields.values())
        described["requestBody"] = {
            "required": required,
            "content": _json(schemas[(index, "body")]),
        }
    return described


def _success(op: Operation, schema: Any) -> dict[str, Any]:
    """The answer's description and body (a 204 has none)."""
    if op.status == 204:
        return {"description": op.summary}
    return {"description": op.summary, "content": _json(schema)}


def _parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": PARAMETER_PATTERNS.get(name, ID_PATTERN)},
    }


def _json(schema: Any) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}
