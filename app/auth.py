"""Request -> principal: which credential came in, whose it is, and what it may do.

Authentication is this module and the cache it consults (`app.services.auth_cache`), nothing
else: the credential's shape, the root key, the token lookup, the PATs switch, `last used`,
and the request's spending of the credential's budget (`app.services.budgets`).
`authenticate_request` stores the principal and what the request left of its budget on `g`;
`budget_headers` puts the latter in the response.

A credential this process has resolved before costs one Redis round trip: the budget's count
and the auth epoch come back together, and the epoch says whether the cached answer still
stands. Any other costs the epoch, the lookup, then the count.
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

from flask import Response, current_app, g, request
from limits import RateLimitItem
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import TooManyRequests

from app import policy
from app.errors import PermissionDenied, Unauthenticated
from app.extensions import db
from app.models import Token, User, utcnow
from app.services import accounts, auth_cache, budgets, settings
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


def authenticate(raw: str | None) -> tuple[Principal, budgets.Spent | None]:
    """Resolve a presented credential; raise `Unauthenticated` with the reason when it fails.
    Also what the request spent of the budget, when resolving it already counted that."""
    if raw is None:
        if is_dev_mode():
            principal = Principal(
                policy.KIND_DEV, policy.ROLE_ROOT, "admin", dev_user=accounts.dev_user()
            )
            return principal, None
        raise Unauthenticated(MISSING_TOKEN)
    root_key = current_app.config["ROOT_API_KEY"]
    if root_key and hmac.compare_digest(raw.encode("utf-8", "replace"), root_key.encode()):
        return Principal(policy.KIND_ROOT, policy.ROLE_ROOT, "admin"), None
    identity, spent = identify(raw)
    if identity.kind == policy.KIND_PAT and not identity.pats_enabled:
        raise PermissionDenied("personal access tokens are switched off on this instance")
    return Principal(identity.kind, identity.role, identity.scope, identity), spent


def identify(raw: str) -> tuple[Identity, budgets.Spent | None]:
    """The live identity behind `raw`, or `Unauthenticated` with the reason; records use.

    Through the process's auth cache when the shared epoch allows, else one indexed lookup.
    A cached identity's budget is counted in the round trip that reads the epoch, and that
    count is returned (it stands even if the epoch then sends the answer to the database).
    """
    token_hash = formats.token_hash(raw)
    cache: auth_cache.AuthCache[Identity] | None = auth_cache.current()
    entry = cache.get(token_hash) if cache is not None else None
    if entry is None:  # a cached answer's token passed the same check when it was stored
        _check_shape(raw)
    spent: budgets.Spent | None = None
    epoch: bytes | None = None
    if cache is not None and entry is not None:
        ask = budgets.EpochRequest(cache.epoch_key, auth_cache.fresh_epoch())
        spent, read = budgets.current().spend(
            entry.value.token_id, budget_of(entry.value.scope), ask
        )
        epoch = cache.adopt(read)
        entry = cache.get(token_hash) if epoch is not None else None
    elif cache is not None:
        epoch = cache.begin_request()
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
    return identity, spent


def budget_of(scope: str) -> RateLimitItem:
    """The hourly budget of a credential with this scope (TOKENPATROL_RATE_LIMITS)."""
    table: dict[str, RateLimitItem] = current_app.config["RATE_LIMIT_BUDGETS"]
    return table[policy.RATE_CLASS[scope]]


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
    principal, spent = authenticate(presented_token())
    g.principal = principal
    if spent is None:
        spent, _ = budgets.current().spend(principal.rate_key, budget_of(principal.scope))
    g.budget = spent
    if not spent.allowed:
        raise TooManyRequests(spent.description, retry_after=spent.retry_after)


def budget_headers(response: Response) -> Response:
    """after_request: every authenticated response says what is left of its budget."""
    spent: budgets.Spent | None = g.get("budget")
    if spent is not None:
        response.headers.update(spent.headers())
    return response


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
