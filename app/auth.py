"""Request -> principal: which credential came in, whose it is, and what it may do.

Authentication is this module and the cache it consults (`app.services.auth_cache`), nothing
else: the credential's shape, the root key, the token lookup, the PATs switch, `last used`,
and what the rate limiter keys on. `authenticate_request` stores the principal and the rate
limit's key and limit on `g`, where `app.extensions`' limiter reads them.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from flask import current_app, g, request
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from app import policy
from app.errors import PermissionDenied, Unauthenticated
from app.extensions import RATE_LIMIT_KEY, SCOPE_LIMIT, db
from app.models import Token, User, utcnow
from app.services import accounts, auth_cache, settings
from scanner import formats

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

MISSING_TOKEN = "missing token: send 'Authorization: Bearer <token>' or 'X-API-Key: <token>'"
INVALID_TOKEN = "invalid token"
# Checksummed formats a request may present (`oai_` is checked by signature; a refresh token
# is for /oauth/token only).
BEARER_FORMATS = (formats.PERSONAL_ACCESS_TOKEN, formats.OAUTH_ACCESS_TOKEN)


@dataclass(frozen=True)
class Identity:
    """What a request needs to know about its credential, as plain values (the cache holds
    these, never ORM rows)."""

    token_id: str
    kind: str
    scope: str
    agent_id: str | None
    expires_at: dt.datetime | None
    user_pk: int
    account_id: str
    user_id: str
    role: str
    pats_enabled: bool


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
    identity = identify(raw)
    if identity.kind == policy.KIND_PAT and not identity.pats_enabled:
        raise PermissionDenied("personal access tokens are switched off on this instance")
    return Principal(identity.kind, identity.role, identity.scope, identity)


def identify(raw: str) -> Identity:
    """The live identity behind `raw`, or `Unauthenticated` with the reason; records use.

    Through the process's auth cache when the shared epoch allows, else one indexed lookup.
    """
    _check_shape(raw)
    token_hash = formats.token_hash(raw)
    cache: auth_cache.AuthCache[Identity] | None = auth_cache.current()
    epoch = cache.begin_request() if cache is not None else None
    entry = cache.get(token_hash) if cache is not None and epoch is not None else None
    if entry is None:
        token, pats_enabled = _resolve(token_hash)
        identity, last_used = _identity_of(token, pats_enabled), token.last_used_at
    else:
        identity, last_used = entry.value, entry.last_used_at
        if identity.expires_at is not None and identity.expires_at <= utcnow():
            raise Unauthenticated("token has expired")
    now_used = _touch(identity.token_id, last_used)
    if cache is not None and epoch is not None and (entry is None or now_used != last_used):
        cache.put(token_hash, identity, now_used, epoch)
    return identity


def _check_shape(raw: str) -> None:
    """Refuse what is not a bearer credential of ours before any lookup: bad checksum, bad
    signature, or an OAuth refresh token (not a bearer credential)."""
    fmt = formats.identify(raw)
    if fmt is formats.API_TOKEN:
        if formats.API_TOKEN.verify(raw, dict(current_app.config["SIGNING_KEYRING"])) is None:
            raise Unauthenticated(INVALID_TOKEN)
    elif fmt not in BEARER_FORMATS:
        raise Unauthenticated(INVALID_TOKEN)


def _resolve(token_hash: str) -> tuple[Token, bool]:
    """The live token row for a well-shaped credential's hash, and whether PATs are on; or
    `Unauthenticated` saying why not. The PATs setting rides along in the same query."""
    query = (
        select(Token, settings.PATS_ENABLED_COLUMN)
        .options(joinedload(Token.user))
        .where(Token.token_hash == token_hash)
    )
    row = db.session.execute(query).first()
    if row is None:
        raise Unauthenticated(INVALID_TOKEN)
    token, pats_setting = row
    if token.revoked_at is not None:
        raise Unauthenticated("token has been revoked")
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise Unauthenticated("token has expired")
    return token, settings.pats_enabled_value(pats_setting)


def _touch(token_id: str, last_used_at: dt.datetime | None) -> dt.datetime | None:
    """Record use, at most one write per token per resolution window (default a minute);
    returns the last-used time as it now stands.

    The conditional UPDATE makes concurrent requests on any number of workers coalesce: of
    all the requests in one window, one write changes the row and the others match nothing.
    """
    now = utcnow()
    window = dt.timedelta(seconds=current_app.config["LAST_USED_RESOLUTION_SECONDS"])
    if last_used_at is not None and now - last_used_at < window:
        return last_used_at
    db.session.execute(
        update(Token)
        .where(Token.id == token_id)
        .where(or_(Token.last_used_at.is_(None), Token.last_used_at < now - window))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False, **{auth_cache.NEUTRAL: True})
    )
    db.session.commit()
    return now


def _identity_of(token: Token, pats_enabled: bool) -> Identity:
    user = token.user
    return Identity(
        token_id=token.id,
        kind=token.kind,
        scope=token.scope,
        agent_id=token.agent_id,
        expires_at=token.expires_at,
        user_pk=user.id,
        account_id=user.account_id,
        user_id=user.user_id,
        role=user.role,
        pats_enabled=pats_enabled,
    )


def public(view: F) -> F:
    """Mark a view that reads no API token (web pages use the session, OAuth its own rules)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def authenticate_request() -> None:
    """before_request: authenticate every request whose endpoint is not public."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "is_public", False):
        return
    principal = authenticate(presented_token())
    g.principal = principal
    table: dict[str, str] = current_app.config["RATE_LIMIT_TABLE"]
    setattr(g, RATE_LIMIT_KEY, principal.rate_key)
    setattr(g, SCOPE_LIMIT, table[policy.RATE_CLASS[principal.scope]])


def refuse_remote_clients_in_dev_mode() -> None:
    """Development mode has auth off, so it answers nobody but this machine: the socket's peer,
    never an address a forwarded header claims (ProxyFix keeps the peer's in `orig`)."""
    if not is_dev_mode():
        return
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    peer = original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or ""
    try:
        remote = ipaddress.ip_address(peer)
    except ValueError:
        remote = None
    if remote is None or not remote.is_loopback:
        raise PermissionDenied("development mode (no root key) answers loopback clients only")
