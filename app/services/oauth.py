"""OAuth sign-ins for the CLI: authorization codes, token pairs and their families.

Codes and refresh tokens are spent with one conditional UPDATE each, so two requests racing
with the same value cannot both win. A spent value that comes back is a replay: everything
issued from that sign-in (its family) is revoked, access tokens included.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from app import policy
from app.extensions import db
from app.models import OAuthCode, Token, User, utcnow
from app.services import audit, tokens
from app.services.ids import new_id
from scanner import formats

log = logging.getLogger(__name__)

CLIENT_TOKEN_NAME = "oi login"


@dataclass(frozen=True)
class IssuedPair:
    access: Token
    refresh: Token | None


def save_code(
    code: str,
    *,
    client_id: str,
    user: User,
    redirect_uri: str,
    scope: str,
    challenge: str,
    method: str,
) -> None:
    ttl = dt.timedelta(seconds=current_app.config["OAUTH_CODE_TTL_SECONDS"])
    db.session.add(
        OAuthCode(
            code_hash=formats.token_hash(code),
            client_id=client_id,
            user_pk=user.id,
            redirect_uri=redirect_uri,
            scope=scope,
            code_challenge=challenge,
            code_challenge_method=method,
            created_at=utcnow(),
            expires_at=utcnow() + ttl,
        )
    )
    db.session.commit()


def spend_code(code: str, client_id: str) -> OAuthCode | None:
    """The code's row if this request is the first to use it before it expires, else None."""
    code_hash = formats.token_hash(code)
    family_id = new_id("fam_")
    spent = db.session.execute(
        update(OAuthCode)
        .where(
            OAuthCode.code_hash == code_hash,
            OAuthCode.client_id == client_id,
            OAuthCode.used_at.is_(None),
            OAuthCode.expires_at > utcnow(),
        )
        .values(used_at=utcnow(), family_id=family_id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    row = db.session.scalars(select(OAuthCode).where(OAuthCode.code_hash == code_hash)).first()
    if row is None:
        return None
    if getattr(spent, "rowcount", 0) == 1:
        return row
    if row.used_at is not None and row.family_id:
        log.warning("authorization code %s replayed: revoking its sign-in", row.id)
        tokens.revoke_family(row.family_id, "code_replayed", actor="oauth")
        db.session.commit()
    return None


def spend_refresh_token(raw: str) -> Token | None:
    """The refresh token's row if it is live and this request is the first to use it.

    A refresh token that was already rotated away is a stolen copy or a replay: its whole
    family is revoked (OAuth 2.1 section 4.3.1), and None is returned.
    """
    if formats.identify(raw) is not formats.OAUTH_REFRESH_TOKEN:
        return None
    query = select(Token).where(Token.token_hash == formats.token_hash(raw))
    row = db.session.scalars(query).first()
    if row is None or row.kind != policy.KIND_OAUTH_REFRESH:
        return None
    live = row.revoked_at is None and row.expires_at is not None and row.expires_at > utcnow()
    if live and tokens.revoke([row], "rotated", actor="oauth", action="refresh"):
        db.session.commit()
        return row
    db.session.rollback()
    if row.revoked_reason == "rotated" and row.family_id:
        log.warning("refresh token %s reused after rotation: revoking its family", row.id)
        tokens.revoke_family(row.family_id, "refresh_reused", actor="oauth")
        db.session.commit()
    return None


def save_pair(
    user: User,
    scope: str,
    access_raw: str,
    expires_in: int,
    refresh_raw: str | None,
    family_id: str,
) -> IssuedPair:
    """Store a new access token (and refresh token) of one sign-in family, and commit."""
    now = utcnow()
    access = tokens.add_issued(
        user,
        policy.KIND_OAUTH_ACCESS,
        access_raw,
        name=CLIENT_TOKEN_NAME,
        scope=scope,
        expires_at=now + dt.timedelta(seconds=expires_in),
        family_id=family_id,
    )
    refresh = None
    if refresh_raw:
        days = current_app.config["OAUTH_REFRESH_TTL_DAYS"]
        refresh = tokens.add_issued(
            user,
            policy.KIND_OAUTH_REFRESH,
            refresh_raw,
            name=CLIENT_TOKEN_NAME,
            scope=scope,
            expires_at=now + dt.timedelta(days=days),
            family_id=family_id,
        )
    audit.record(
        f"{user.account_id}/{user.user_id}", "oauth.token", access.id, family=family_id, scope=scope
    )
    db.session.commit()
    return IssuedPair(access, refresh)


def find_live(raw: str) -> Token | None:
    """An OAuth token row by its raw value (for RFC 7009 revocation), live or not."""
    if formats.identify(raw) not in (formats.OAUTH_ACCESS_TOKEN, formats.OAUTH_REFRESH_TOKEN):
        return None
    query = select(Token).where(Token.token_hash == formats.token_hash(raw))
    return db.session.scalars(query).first()


def revoke(token: Token) -> None:
    """RFC 7009: a refresh token takes its family with it; an access token goes alone."""
    actor = f"{token.user.account_id}/{token.user.user_id} (oauth revoke)"
    if token.kind == policy.KIND_OAUTH_REFRESH and token.family_id:
        tokens.revoke_family(token.family_id, "signed_out", actor=actor)
    else:
        tokens.revoke([token], "signed_out", actor=actor)
    db.session.commit()
