"""One decorator per JSON operation: route, access rule, body model and response model together.

Because the route, its validation and its OpenAPI entry come from the same declaration,
/openapi.json cannot drift from what the service actually accepts and answers.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel, TypeAdapter, ValidationError

from app import policy
from app.auth import Principal, current_principal
from app.errors import InvalidArgument, PermissionDenied, UnsupportedMediaType
from app.models import User
from app.schemas import Ok
from app.services import tokens

ALL_ROLES = frozenset({policy.ROLE_ROOT, policy.ROLE_ADMIN, policy.ROLE_USER})
AGENT_REFUSED = (
    "workflow agent run tokens are refused for token settings and admin endpoints; "
    "use a human-owned token"
)


@dataclass(frozen=True)
class Access:
    """What a caller needs: a minimum token scope, one of some roles, and maybe a human."""

    scope: str = "read"
    roles: frozenset[str] = ALL_ROLES
    humans_only: bool = False
    needs_user: bool = False


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    summary: str
    tag: str
    response: Any
    status: int = 200
    body: type[BaseModel] | None = None
    access: Access | None = None
    enveloped: bool = False
    adapter: TypeAdapter[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "adapter", TypeAdapter(self.response))

    @property
    def response_schema_type(self) -> Any:
        """What the body on the wire looks like (admin results come in OpenViking's envelope)."""
        return cast(Any, Ok)[self.response] if self.enveloped else self.response

    def serialise(self, result: Any) -> Any:
        dumped = self.adapter.dump_python(result, mode="json", by_alias=True)
        if not self.enveloped:
            return dumped
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        return {"status": "ok", "result": dumped, "time": round(elapsed, 6)}


#: Every operation declared with `@operation`, in declaration order (filled at import time).
OPERATIONS: list[Operation] = []

View = Callable[..., Any]


def operation(
    bp: Blueprint,
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    response: Any,
    status: int = 200,
    body: type[BaseModel] | None = None,
    access: Access | None = None,
    endpoint_name: str | None = None,
    enveloped: bool = False,
    guard: Callable[[], None] | None = None,
) -> Callable[[View], View]:
    """Register `view` on `bp`; `access=None` makes the operation public (no token read).

    With `enveloped`, the view's result is sent as `{"status": "ok", "result": ..., "time": s}`.
    `guard` runs before the body is parsed (a partner's signature or shared secret); a 204
    operation answers with no body.
    """
    op = Operation(method, rule, summary, tag, response, status, body, access, enveloped)

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def endpoint(**path_args: Any) -> Response:
            if op.access is not None:
                check_access(op.access, principal())
            if guard is not None:
                guard()
            if op.body is not None:
                path_args["body"] = parse_body(op.body)
            result = view(**path_args)
            if op.status == 204:
                return Response(status=204)
            reply = jsonify(op.serialise(result))
            reply.status_code = op.status
            return reply

        endpoint.is_public = access is None  # type: ignore[attr-defined]
        bp.add_url_rule(rule, endpoint_name, view_func=endpoint, methods=[method])
        OPERATIONS.append(op)
        return endpoint

    return decorator


def check_access(access: Access, principal: Principal) -> None:
    """403 with a reason the caller can act on (401 was decided before the view)."""
    if access.humans_only and principal.agent_id:
        raise PermissionDenied(AGENT_REFUSED)
    if not policy.scope_allows(principal.scope, access.scope):
        raise PermissionDenied(
            f"token scope {principal.scope!r} is insufficient: this needs {access.scope!r}"
        )
    if principal.role not in access.roles:
        needed = " or ".join(sorted(role.upper() for role in access.roles))
        raise PermissionDenied(f"requires role {needed}; you are {principal.role.upper()}")
    if access.needs_user and principal.user is None:
        raise PermissionDenied("the root key has no user of its own: use a user's key or token")


def parse_body(model: type[BaseModel]) -> BaseModel:
    """Validate the JSON body against `model`; an empty body is fine if nothing is required."""
    raw = request.get_data(cache=True)
    if not raw.strip() and not any(f.is_required() for f in model.model_fields.values()):
        return model()
    if not request.is_json:
        raise UnsupportedMediaType("send a JSON body with 'Content-Type: application/json'")
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidArgument(describe(error)) from None


def describe(error: ValidationError) -> str:
    """The first problem, by field name; never echoes the input (it may hold a secret)."""
    first = error.errors(include_input=False, include_url=False)[0]
    if first["type"] == "json_invalid":
        return "request body is not valid JSON"
    where = ".".join(str(part) for part in first["loc"])
    if not where:
        return "request body must be a JSON object"
    return f"{where}: {first['msg']}"


def principal_with_user() -> tuple[Principal, User]:
    """The caller and their user (operations with `needs_user` have refused the root key)."""
    caller = principal()
    if caller.user is None:  # pragma: no cover - guarded by Access(needs_user=True)
        raise PermissionDenied("the root key has no user of its own")
    return caller, caller.user


def token_caller() -> tokens.Caller:
    """The caller as the token rules see them: their user, the credential's scope, the actor."""
    caller, user = principal_with_user()
    token_id = caller.identity.token_id if caller.identity is not None else None
    return tokens.Caller(user=user, scope=caller.scope, actor=caller.actor, token_id=token_id)


def principal() -> Principal:
    """The authenticated caller of the current (non-public) operation."""
    caller = current_principal()
    if caller is None:  # pragma: no cover - authenticate_request runs before every view
        raise PermissionDenied("not authenticated")
    return caller
