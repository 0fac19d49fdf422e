"""Issue, resolve, rotate and revoke tokens. Only SHA-256 hashes ever reach the database."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from app import policy
from app.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from app.extensions import db
from app.models import Token, User, utcnow
from app.services import audit, settings
from app.services.ids import new_id
from app.urls import base_url
from scanner import formats

KIND_LABELS = {policy.KIND_PAT: "a personal access token", policy.KIND_API_TOKEN: "an API token"}


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
    created_by: str | None = None,
) -> IssuedToken:
    """Make a token of `kind` for `user` and commit it."""
    row, raw = _add_minted(user, kind, name, policy.canonical_scope(scope), expires_at, agent_id)
    row.created_by = created_by
    audit.record(actor, f"{kind}.create", row.id, name=name, scope=row.scope, last4=row.last4)
    db.session.commit()
    return IssuedToken(row, raw)


@dataclass(frozen=True)
class Caller:
    """Who acts on their own tokens: the user, what the credential they act with allows (a web
    session acts with its whole role), and how the audit log names them."""

    user: User
    scope: str
    actor: str
    token_id: str | None = None  # the token the caller acts with, if any (its lineage)


def create(
    caller: Caller,
    kind: str,
    *,
    name: str,
    scope: str,
    expires_at: dt.datetime | None = None,
    agent_id: str | None = None,
) -> IssuedToken:
    """A new token for the caller, under the rules every face (API, web, CLI) shares."""
    _check_may_hold(caller, kind, scope, agent_id)
    _check_name_free(caller.user, kind, name)
    return issue(
        caller.user,
        kind,
        name=name,
        scope=scope,
        expires_at=_within_max_lifetime(_check_expiry(expires_at)),
        agent_id=agent_id,
        actor=caller.actor,
        created_by=caller.token_id,
    )


def rotate(
    caller: Caller, kind: str, token_id: str, expires_at: dt.datetime | None = None
) -> IssuedToken:
    """A replacement is a new token: it passes exactly the rules of creation, for the caller
    and for the token it gets. The old one stops working in the same commit.

    Without a new expiry the replacement keeps the old token's expiry date, so rotating never
    extends a token's life (and an expired token needs a new date).
    """
    token = get_owned(caller.user, kind, token_id)
    _check_may_hold(caller, kind, token.scope, token.agent_id)
    if expires_at is not None:
        expires_at = _within_max_lifetime(_check_expiry(expires_at))
    else:
        expires_at = _within_max_lifetime(_kept_expiry(token), capped=True)
    row, raw = _add_minted(token.user, kind, token.name, token.scope, expires_at, token.agent_id)
    # A replacement descends from the token that asked for it, or, from the web, from the token
    # it replaces: either way, revoking a leaked ancestor reaches it.
    row.created_by = caller.token_id or token.id
    db.session.flush()  # the old row's replaced_by points at it
    if not revoke([token], "rotated", actor=caller.actor, action="rotate", replaced_by=row.id):
        db.session.rollback()  # a racing rotation or revocation got there first
        raise NotFound(f"no {kind.replace('_', ' ')} with id {token_id!r}")
    db.session.commit()
    return IssuedToken(row, raw)


def delete(caller: Caller, kind: str, token_id: str) -> Token:
    """Revoke one of the caller's own tokens; it fails from the next request on."""
    token = get_owned(caller.user, kind, token_id)
    revoke([token], "deleted", actor=caller.actor)
    db.session.commit()
    return token


def _check_may_hold(caller: Caller, kind: str, scope: str, agent_id: str | None) -> None:
    """The seeds' rules for a new token: no escalation, admin scope for admins, no admin agents."""
    scope = policy.canonical_scope(scope)
    if scope not in policy.SCOPE_RANK:
        raise InvalidArgument(f"scope must be one of {', '.join(policy.SCOPE_RANK)}")
    if kind == policy.KIND_PAT and not settings.pats_enabled():
        raise PermissionDenied("personal access tokens are switched off on this instance")
    if agent_id is not None and scope == "admin":
        raise InvalidArgument("an admin-scope token cannot be an agent run token")
    if not policy.scope_allows(caller.scope, scope):
        raise PermissionDenied(f"a {caller.scope!r} token cannot create a {scope!r} token")
    if scope == "admin" and caller.user.role == policy.ROLE_USER:
        raise PermissionDenied("only account ADMINs can create admin-scope tokens")


def _check_name_free(user: User, kind: str, name: str) -> None:
    """A name tells a person's tokens apart (GitHub refuses a taken note too); a revoked
    token's name is free again. Case and surrounding spaces do not make a name new."""
    wanted = name.strip().casefold()
    # Names only, streamed: the ORM rows of a person with very many tokens would cost seconds.
    names = db.session.scalars(
        select(Token.name).where(
            Token.user_pk == user.id, Token.kind == kind, Token.revoked_at.is_(None)
        ),
        execution_options={"yield_per": 10_000},
    )
    for taken in names:
        if taken.strip().casefold() == wanted:
            raise AlreadyExists(
                f"you already have {KIND_LABELS.get(kind, kind)} named {taken!r}: "
                "pick another name, or rotate or delete that one"
            )


def _check_expiry(expires_at: dt.datetime | None) -> dt.datetime | None:
    """Expiry is optional and never in the past; a naive time is taken as UTC."""
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=dt.UTC)
    try:
        in_utc = expires_at.astimezone(dt.UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:00 is past the last representable UTC time
        raise InvalidArgument("expiresAt is out of range") from None
    if in_utc <= utcnow():
        raise InvalidArgument("expiresAt must be in the future")
    return in_utc


def _kept_expiry(token: Token) -> dt.datetime | None:
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise InvalidArgument(
            f"this token expired on {token.expires_at:%Y-%m-%d}: give its replacement an expiry"
        )
    return token.expires_at


def _within_max_lifetime(
    expires_at: dt.datetime | None, *, capped: bool = False
) -> dt.datetime | None:
    """With a maximum lifetime set, no expiry means the latest allowed; a later date asked for
    is refused, and one kept from an older token (`capped`) is brought back to the latest."""
    days = settings.max_token_lifetime_days()
    if days is None:
        return expires_at
    latest = policy.end_of_day((utcnow() + dt.timedelta(days=days)).date())
    if expires_at is None or (capped and expires_at > latest):
        return latest
    if expires_at > latest:
        raise InvalidArgument(
            f"expiresAt is past this instance's maximum token lifetime of {days} days: "
            f"the latest is {latest:%Y-%m-%d}"
        )
    return expires_at


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


def revoke(
    rows: Iterable[Token],
    reason: str,
    *,
    actor: str,
    action: str = "revoke",
    replaced_by: str | None = None,
    **detail: Any,
) -> list[Token]:
    """The one writer of `revoked_at`: revoke each live row, each with its audit event; the
    caller commits, and the commit announces the change to every instance's auth cache.

    Each row is revoked by a conditional UPDATE, so of two revocations racing for one token
    exactly one wins; returns the rows this call revoked.
    """
    changes = {"revoked_at": utcnow(), "revoked_reason": reason, "replaced_by": replaced_by}
    if replaced_by is not None:
        detail["replaced_by"] = replaced_by
    revoked: list[Token] = []
    for row in rows:
        result = db.session.execute(
            update(Token)
            .where(Token.id == row.id, Token.revoked_at.is_(None))
            .values(**changes)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            continue  # already revoked, by an earlier call or a racing one
        for column, value in changes.items():
            set_committed_value(row, column, value)
        audit.record(
            actor, f"{row.kind}.{action}", row.id, reason=reason, last4=row.last4, **detail
        )
        revoked.append(row)
    return revoked


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


def live_descendants(token_ids: Iterable[str]) -> dict[str, list[Token]]:
    """For each of these tokens, the live tokens it made (created or rotated into), through
    any number of generations: one query per generation for the whole batch."""
    root_of = {token_id: token_id for token_id in token_ids}
    heirs: dict[str, list[Token]] = {}
    frontier = list(root_of)
    while frontier:
        children = db.session.scalars(select(Token).where(Token.created_by.in_(frontier)))
        frontier = []
        for child in children:
            if child.id in root_of:  # itself asked about: its line is its own
                continue
            root_of[child.id] = root_of[str(child.created_by)]
            frontier.append(child.id)
            if status_of(child) == "active":
                heirs.setdefault(root_of[child.id], []).append(child)
    return heirs


def revoke_family(family_id: str, reason: str, *, actor: str) -> int:
    """Revoke every live token of one OAuth sign-in; the caller commits. Returns how many."""
    family = db.session.scalars(
        select(Token).where(Token.family_id == family_id, Token.revoked_at.is_(None))
    )
    return len(revoke(list(family), reason, actor=actor, family=family_id))


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


def _add_minted(
    user: User,
    kind: str,
    name: str,
    scope: str,
    expires_at: dt.datetime | None,
    agent_id: str | None,
) -> tuple[Token, str]:
    """A new row with a freshly minted value, added to the session (not committed)."""
    row = _new_row(user, kind, name, scope, expires_at, agent_id)
    raw = _mint(row, user)
    _fill_secret_columns(row, raw)
    db.session.add(row)
    return row, raw


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
