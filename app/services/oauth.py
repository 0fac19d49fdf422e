"""OAuth sign-ins for the CLI: authorization codes, device codes, token pairs and their families.

Codes, device codes and refresh tokens are spent with one conditional UPDATE each, so two
requests racing with the same value cannot both win. A spent value that comes back is a
replay: everything issued from that sign-in (its family) is revoked, access tokens included.
Device codes and user codes (RFC 8628) are stored as SHA-256 only, like every other secret.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, select, update

from app import policy
from app.extensions import db
from app.models import DeviceCode, OAuthCode, Token, User, utcnow
from app.services import audit, tokens
from app.services.ids import new_id
from scanner import formats

log = logging.getLogger(__name__)

CLIENT_TOKEN_NAME = "oi login"
ADMIN_SCOPE_REFUSED = "only account ADMINs can grant the admin scope"


@dataclass(frozen=True)
class IssuedPair:
    access: Token
    refresh: Token | None


def may_grant(user: User, scope: str) -> bool:
    """Consent to the admin scope is an ADMIN's to give: a USER's tokens never carry it."""
    return scope != "admin" or user.role != policy.ROLE_USER


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


# RFC 8628 section 6.1: 20 consonants (no vowels, no digits: nothing to misread, no words),
# 8 of them: 34 bits, with failed entries throttled on the page (app/oauth/device_views.py).
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
SLOW_DOWN_SECONDS = 5  # RFC 8628 section 3.5: each slow_down adds 5 s to the interval
KEEP_EXPIRED_DEVICE_CODES = dt.timedelta(hours=1)


def normal_user_code(typed: str) -> str | None:
    """A user code as typed (any case, dashes and spaces anywhere) in its canonical form, or
    None when it cannot be one (so it is never looked up)."""
    letters = "".join(char for char in typed.upper() if char != "-" and not char.isspace())
    if len(letters) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in letters):
        return None
    return letters


def display_user_code(code: str) -> str:
    """WDJBMJHT -> WDJB-MJHT."""
    half = USER_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def save_device_code(
    device_code: str, user_code: str, *, client_id: str, scope: str, expires_in: int, interval: int
) -> None:
    """Store a new device authorization (hashes only); rows long expired are dropped here, so
    the table holds the last hour's codes and no more."""
    now = utcnow()
    db.session.execute(
        delete(DeviceCode).where(DeviceCode.expires_at < now - KEEP_EXPIRED_DEVICE_CODES)
    )
    db.session.add(
        DeviceCode(
            device_code_hash=formats.token_hash(device_code),
            user_code_hash=formats.token_hash(normal_user_code(user_code) or user_code),
            client_id=client_id,
            scope=scope,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=expires_in),
            interval=interval,
        )
    )
    db.session.commit()


def find_device_code(device_code: str) -> DeviceCode | None:
    """The row of a device code, in whatever state (the grant tells a replay from the rest)."""
    query = select(DeviceCode).where(DeviceCode.device_code_hash == formats.token_hash(device_code))
    return db.session.scalars(query).first()


def pending_device_code(typed: str) -> DeviceCode | None:
    """The live, undecided request a typed user code names, or None."""
    code = normal_user_code(typed)
    if code is None:
        return None
    query = select(DeviceCode).where(
        DeviceCode.user_code_hash == formats.token_hash(code),
        DeviceCode.decided_at.is_(None),
        DeviceCode.expires_at > utcnow(),
    )
    return db.session.scalars(query).first()


def decide_device_code(row: DeviceCode, user: User, *, approved: bool) -> bool:
    """Record the signed-in user's Allow or Deny, once (one conditional UPDATE); False when the
    code was decided meanwhile or has expired."""
    now = utcnow()
    decided = db.session.execute(
        update(DeviceCode)
        .where(
            DeviceCode.id == row.id, DeviceCode.decided_at.is_(None), DeviceCode.expires_at > now
        )
        .values(user_pk=user.id, approved=approved, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(decided, "rowcount", 0) != 1:
        db.session.rollback()
        return False
    action = "oauth.device_approved" if approved else "oauth.device_denied"
    actor = f"{user.account_id}/{user.user_id} (web)"
    audit.record(actor, action, f"device:{row.id}", client=row.client_id, scope=row.scope)
    db.session.commit()
    return True


def polled_too_fast(row: DeviceCode) -> bool:
    """Record this poll; True when it came sooner than the interval after the last one (or
    raced another poll), in which case the interval grows by 5 s for every later poll."""
    now, previous = utcnow(), row.last_polled_at
    too_fast = previous is not None and now < previous + dt.timedelta(seconds=row.interval)
    values: dict[str, object] = {"last_polled_at": now}
    if too_fast:
        values["interval"] = row.interval + SLOW_DOWN_SECONDS
    same_poll = (
        DeviceCode.last_polled_at.is_(None)
        if previous is None
        else DeviceCode.last_polled_at == previous
    )
    recorded = db.session.execute(
        update(DeviceCode)
        .where(DeviceCode.id == row.id, same_poll)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return too_fast or getattr(recorded, "rowcount", 0) != 1


def spend_device_code(row: DeviceCode) -> str | None:
    """The new sign-in's family id if this poll is the first to collect an approved, live code;
    None if another poll collected it first."""
    family_id = new_id("fam_")
    now = utcnow()
    spent = db.session.execute(
        update(DeviceCode)
        .where(
            DeviceCode.id == row.id,
            DeviceCode.used_at.is_(None),
            DeviceCode.approved.is_(True),
            DeviceCode.expires_at > now,
        )
        .values(used_at=now, family_id=family_id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return family_id if getattr(spent, "rowcount", 0) == 1 else None


def device_code_replayed(row: DeviceCode) -> None:
    """A device code that already bought tokens came back: revoke that sign-in."""
    db.session.refresh(row)
    if row.family_id:
        log.warning("device code %s replayed: revoking its sign-in", row.id)
        tokens.revoke_family(row.family_id, "code_replayed", actor="oauth")
        db.session.commit()
