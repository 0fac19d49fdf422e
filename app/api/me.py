"""The caller's own tokens (/me/pats, /me/api-tokens), /auth/check and invite claims."""

from __future__ import annotations

from flask import Blueprint

from app import policy
from app.api.routing import Access, operation, principal, principal_with_user, token_caller
from app.models import Token
from app.schemas import (
    AuthCheck,
    InviteClaim,
    InviteClaimed,
    TokenCreate,
    TokenCreated,
    TokenDeleted,
    TokenRotate,
    TokenSummary,
)
from app.services import invites, tokens

bp = Blueprint("me", __name__)

READ_SETTINGS = Access(scope="read", humans_only=True, needs_user=True)
WRITE_SETTINGS = Access(scope="read_write", humans_only=True, needs_user=True)


def summary_of(token: Token) -> TokenSummary:
    return TokenSummary(
        id=token.id,
        name=token.name,
        scope=token.scope,
        prefix=token.display_prefix,
        last4=token.last4,
        status=tokens.status_of(token),
        agent_id=token.agent_id,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
    )


def created_reply(issued: tokens.IssuedToken) -> TokenCreated:
    row = issued.row
    return TokenCreated(
        id=row.id,
        name=row.name,
        scope=row.scope,
        token=issued.raw,
        agent_id=row.agent_id,
        expires_at=row.expires_at,
        created_at=row.created_at,
    )


def register_token_routes(base: str, kind: str, label: str) -> None:
    """The same five operations for PATs and for `oai_` API tokens."""
    name = kind.replace("_", "-")

    @operation(
        bp,
        "POST",
        base,
        summary=f"Create a {label} (the value is shown only here)",
        tag="tokens",
        response=TokenCreated,
        status=201,
        body=TokenCreate,
        access=WRITE_SETTINGS,
        endpoint_name=f"create_{name}",
    )
    def create(body: TokenCreate) -> TokenCreated:
        issued = tokens.create(
            token_caller(),
            kind,
            name=body.name,
            scope=body.scope,
            expires_at=body.expires_at,
            agent_id=body.agent_id,
        )
        return created_reply(issued)

    @operation(
        bp,
        "GET",
        base,
        summary=f"List your {label}s (never their values)",
        tag="tokens",
        response=list[TokenSummary],
        access=READ_SETTINGS,
        endpoint_name=f"list_{name}",
    )
    def list_tokens() -> list[TokenSummary]:
        user = principal_with_user()[1]
        return [summary_of(token) for token in tokens.list_for(user, kind)]

    @operation(
        bp,
        "DELETE",
        f"{base}/<token_id>",
        summary=f"Delete a {label}; it fails at once",
        tag="tokens",
        response=TokenDeleted,
        access=WRITE_SETTINGS,
        endpoint_name=f"delete_{name}",
    )
    def delete(token_id: str) -> TokenDeleted:
        return TokenDeleted(id=tokens.delete(token_caller(), kind, token_id).id)

    @operation(
        bp,
        "POST",
        f"{base}/<token_id>/rotate",
        summary=f"Replace a {label}; the old value fails at once",
        tag="tokens",
        response=TokenCreated,
        status=201,
        body=TokenRotate,
        access=WRITE_SETTINGS,
        endpoint_name=f"rotate_{name}",
    )
    def rotate(token_id: str, body: TokenRotate) -> TokenCreated:
        return created_reply(tokens.rotate(token_caller(), kind, token_id, body.expires_at))


@operation(
    bp,
    "GET",
    "/auth/check",
    summary="Who the presented token belongs to, its scope and expiry",
    tag="auth",
    response=AuthCheck,
    access=Access(scope="read"),
)
def auth_check() -> AuthCheck:
    caller = principal()
    identity = caller.identity  # from the auth cache or the lookup: no query here
    return AuthCheck(
        kind=caller.kind,
        scope=caller.scope,
        role=caller.role,
        token_id=identity.token_id if identity else None,
        account_id=caller.account_id,
        user_id=caller.user_id,
        agent_id=caller.agent_id,
        expires_at=identity.expires_at if identity else None,
    )


@operation(
    bp,
    "POST",
    "/auth/invites/claim",
    summary="Claim an invite and set a password (no bearer)",
    tag="auth",
    response=InviteClaimed,
    status=201,
    body=InviteClaim,
)
def claim_invite(body: InviteClaim) -> InviteClaimed:
    user = invites.claim(body.token, body.password, body.user_id)
    return InviteClaimed(
        account_id=user.account_id,
        user_id=user.user_id,
        email=user.email or "",
        role=user.role,
    )


register_token_routes("/me/pats", policy.KIND_PAT, "personal access token")
register_token_routes("/me/api-tokens", policy.KIND_API_TOKEN, "API token")
