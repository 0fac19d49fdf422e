"""Request -> principal: which credential came in, whose it is, and what it may do."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from flask import current_app, g, request

from app import policy
from app.errors import PermissionDenied, Unauthenticated
from app.extensions import db
from app.models import Token, User
from app.services import accounts, identities
from app.services.auth_cache import Identity

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

MISSING_TOKEN = "missing token: send 'Authorization: Bearer <token>' or 'X-API-Key: <token>'"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's `identity`, the development user, or (neither) the root key.

    The ORM rows behind an identity are loaded only by the views that need them (`user`,
    `token`): a request served from the auth cache then touches no database at all.
    """

    kind: str
    role: str
    scope: str
    identity: Identity | None = None
    dev_user: User | None = None

    @cached_property
    def user(self) -> User | None:
        if self.identity is not None:
            return db.session.get(User, self.identity.user_pk)
        return self.dev_user

    @cached_property
    def token(self) -> Token | None:
        return db.session.get(Token, self.identity.token_id) if self.identity else None

    @property
    def account_id(self) -> str | None:
        if self.identity is not None:
            return self.identity.account_id
        return self.dev_user.account_id if self.dev_user else None

    @property
    def user_id(self) -> str | None:
        if self.identity is not None:
            return self.identity.user_id
        return self.dev_user.user_id if self.dev_user else None

    @property
    def agent_id(self) -> str | None:
        return self.identity.agent_id if self.identity else None

    @property
    def rate_key(self) -> str:
        return self.identity.token_id if self.identity else self.kind

    @property
    def actor(self) -> str:
        """How the audit log names this caller (never with a token value)."""
        if self.account_id is None:
            return "root"
        who = f"{self.account_id}/{self.user_id}"
        return f"{who} via {self.identity.token_id}" if self.identity else f"{who} ({self.kind})"


def current_principal() -> Principal | None:
    """The principal `authenticate_request` stored; None on public endpoints."""
    principal: Principal | None = g.get("principal")
    return principal


def is_dev_mode() -> bool:
    return not current_app.config["ROOT_API_KEY"]


def presented_token() -> str | None:
    """The credential from `Authorization: Bearer` or `X-API-Key`, whichever came."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("malformed Authorization header: expected 'Bearer <token>'")
        return value.strip()
    api_key = request.headers.get("X-API-Key", "").strip()
    return api_key or None


def authenticate(raw: str | None) -> Principal:
    """Resolve a presented credential; raise `Unauthenticated` with the reason when it fails."""
    if raw is None:
        if is_dev_mode():
            return Principal(
                policy.KIND_DEV, policy.ROLE_ROOT, "admin", dev_user=accounts.dev_user()
            )
        raise Unauthenticated(MISSING_TOKEN)
    root_key = current_app.config["ROOT_API_KEY"]
    if root_key and hmac.compare_digest(raw.encode("utf-8", "replace"), root_key.encode()):
        return Principal(policy.KIND_ROOT, policy.ROLE_ROOT, "admin")
    identity = identities.identify(raw)
    if identity.kind == policy.KIND_PAT and not identity.pats_enabled:
        raise PermissionDenied("personal access tokens are switched off on this instance")
    return Principal(identity.kind, identity.role, identity.scope, identity)


def public(view: F) -> F:
    """Mark a view that reads no API token (web pages use the session, OAuth its own rules)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def authenticate_request() -> None:
    """before_request: authenticate every request whose endpoint is not public."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "is_public", False):
        return
    g.principal = authenticate(presented_token())


def refuse_remote_clients_in_dev_mode() -> None:
    """Development mode has auth off, so it answers nobody but this machine."""
    if not is_dev_mode():
        return
    try:
        remote = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        remote = None
    if remote is None or not remote.is_loopback:
        raise PermissionDenied("development mode (no root key) answers loopback clients only")


def rate_limit_key() -> str:
    principal = current_principal()
    return principal.rate_key if principal else "anonymous"


def rate_limit_for_principal() -> str:
    principal = current_principal()
    scope = principal.scope if principal else "read"
    table: dict[str, str] = current_app.config["RATE_LIMIT_TABLE"]
    return table[policy.RATE_CLASS[scope]]


def is_unauthenticated_request() -> bool:
    return current_principal() is None
