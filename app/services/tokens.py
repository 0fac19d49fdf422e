"""Issue, resolve, rotate and revoke tokens. Only SHA-256 hashes ever reach the database."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from app import policy
from app.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from app.extensions import db
from app.models import Token, User, utcnow
from app.services import audit, settings
from app.services.ids import new_id
from app.urls import base_url
from scanner import formats

INVALID_TOKEN = "invalid token"
BEARER_FORMATS = (formats.PERSONAL_ACCESS_TOKEN, formats.OAUTH_ACCESS_TOKEN)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly made token: the row, and the raw value that is shown exactly once."""

    row: Token
    raw: str


def issue(
    user: User,
    kind: str,
    *,
    name: str,
    scope: str,
    expires_at: dt.datetime | None = None,
    agent_id: str | None = None,
    actor: str,
) -> IssuedToken:
    """Make a token of `kind` for `user` and commit it."""
    row = _new_row(user, kind, name, policy.canonical_scope(scope), expires_at, agent_id)
    raw = _mint(row, user)
    _fill_secret_columns(row, raw)
    db.session.add(row)
    audit.record(actor, f"{kind}.create", row.id, name=name, scope=row.scope, last4=row.last4)
    db.session.commit()
    return IssuedToken(row, raw)


def check_new_token(
    held_scope: str, role: str, kind: str, scope: str, agent_id: str | None
) -> None:
    """The seeds' rules for a new token: no escalation, admin scope for admins, no admin agents."""
    scope = policy.canonical_scope(scope)
    if kind == policy.KIND_PAT and not settings.pats_enabled():
        raise PermissionDenied("personal access tokens are switched off on this instance")
    if agent_id is not None and scope == "admin":
        raise InvalidArgument("an admin-scope token cannot be an agent run token")
    if not policy.scope_allows(held_scope, scope):
        raise PermissionDenied(f"a {held_scope!r} token cannot create a {scope!r} token")
    if scope == "admin" and role == policy.ROLE_USER:
        raise PermissionDenied("only account ADMINs can create admin-scope tokens")


def check_expiry(expires_at: dt.datetime | None) -> dt.datetime | None:
    """Expiry is optional and never in the past; a naive time is taken as UTC."""
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=dt.UTC)
    if expires_at <= utcnow():
        raise InvalidArgument("expiresAt must be in the future")
    return expires_at.astimezone(dt.UTC)


def list_for(user: User, kind: str) -> list[Token]:
    """The user's tokens of one kind that have not been revoked, newest first."""
    query = (
        select(Token)
        .where(Token.user_pk == user.id, Token.kind == kind, Token.revoked_at.is_(None))
        .order_by(Token.created_at.desc(), Token.id)
    )
    return list(db.session.scalars(query))


def get_owned(user: User, kind: str, token_id: str) -> Token:
    token = db.session.get(Token, token_id)
    if token is None or token.user_pk != user.id or token.kind != kind or token.revoked_at:
        raise NotFound(f"no {kind.replace('_', ' ')} with id {token_id!r}")
    return token


def revoke(token: Token, reason: str, *, actor: str) -> None:
    """Revoke and commit: the token fails from the next request on, on every instance."""
    token.revoked_at = utcnow()
    token.revoked_reason = reason
    audit.record(actor, f"{token.kind}.revoke", token.id, reason=reason, last4=token.last4)
    db.session.commit()


def rotate(token: Token, expires_at: dt.datetime | None, *, actor: str) -> IssuedToken:
    """A new token with the same name, scope and agent; the old one stops working at once.

    Without a new expiry the replacement keeps the old token's lifetime, counted from now.
    """
    if expires_at is None and token.expires_at is not None:
        expires_at = utcnow() + (token.expires_at - token.created_at)
    row = _new_row(token.user, token.kind, token.name, token.scope, expires_at, token.agent_id)
    raw = _mint(row, token.user)
    _fill_secret_columns(row, raw)
    db.session.add(row)
    token.revoked_at, token.revoked_reason, token.replaced_by = utcnow(), "rotated", row.id
    audit.record(actor, f"{token.kind}.rotate", token.id, replaced_by=row.id, last4=token.last4)
    db.session.commit()
    return IssuedToken(row, raw)


def check_shape(raw: str) -> None:
    """Refuse what is not a bearer credential of ours before any lookup: bad checksum, bad
    signature, or an OAuth refresh token (not a bearer credential)."""
    fmt = formats.identify(raw)
    if fmt is formats.API_TOKEN:
        if formats.API_TOKEN.verify(raw, dict(current_app.config["SIGNING_KEYRING"])) is None:
            raise Unauthenticated(INVALID_TOKEN)
    elif fmt not in BEARER_FORMATS:
        raise Unauthenticated(INVALID_TOKEN)


def resolve(token_hash: str) -> tuple[Token, bool]:
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


def touch(token_id: str, last_used_at: dt.datetime | None) -> dt.datetime | None:
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
        .execution_options(synchronize_session=False, auth_cache_neutral=True)
    )
    db.session.commit()
    return now


def add_issued(
    user: User,
    kind: str,
    raw: str,
    *,
    name: str,
    scope: str,
    expires_at: dt.datetime,
    family_id: str | None,
) -> Token:
    """Store a token minted elsewhere (Authlib's OAuth grants); the caller commits."""
    row = _new_row(user, kind, name, scope, expires_at, None)
    row.family_id = family_id
    _fill_secret_columns(row, raw)
    db.session.add(row)
    return row


def revoke_family(family_id: str, reason: str, *, actor: str) -> int:
    """Revoke every live token of one OAuth sign-in; the caller commits. Returns how many."""
    now = utcnow()
    result = db.session.execute(
        update(Token)
        .where(Token.family_id == family_id, Token.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    audit.record(actor, "oauth.family_revoke", family_id, reason=reason, tokens=count)
    return count


def status_of(token: Token) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= utcnow():
        return "expired"
    return "active"


def _new_row(
    user: User,
    kind: str,
    name: str,
    scope: str,
    expires_at: dt.datetime | None,
    agent_id: str | None,
) -> Token:
    return Token(
        id=new_id(policy.ID_PREFIXES[kind]),
        kind=kind,
        user_pk=user.id,
        user=user,
        name=name,
        scope=scope,
        agent_id=agent_id,
        created_at=utcnow(),
        expires_at=expires_at,
    )


def _mint(row: Token, user: User) -> str:
    if row.kind != policy.KIND_API_TOKEN:
        return formats.PERSONAL_ACCESS_TOKEN.generate()
    kid, secret = current_app.config["SIGNING_KEYRING"][0]
    payload = {
        "v": formats.API_TOKEN_VERSION,
        "tid": row.id,
        "sub": f"{user.account_id}/{user.user_id}",
        "scope": row.scope,
        "iat": int(row.created_at.timestamp()),
        "exp": int(row.expires_at.timestamp()) if row.expires_at else None,
        "iss": base_url(),
        "n": secrets.token_hex(16),
    }
    return formats.API_TOKEN.sign(payload, kid, secret)


def _fill_secret_columns(row: Token, raw: str) -> None:
    fmt = formats.format_for(raw)
    row.token_hash = formats.token_hash(raw)
    row.display_prefix = fmt.prefix if fmt else raw[:4]
    row.last4 = raw[-4:]
