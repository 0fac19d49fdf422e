"""Operator work on the database directly (`oi server ...`): revoke, purge, remind, bootstrap.

Meant for cron and for an operator's shell, so every function is safe to run twice at once:
revocation is a conditional UPDATE per token, reminders are claimed by a unique row before
their mail is queued.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, exists, or_, select
from sqlalchemy.exc import IntegrityError

from app import policy
from app.errors import NotFound
from app.extensions import db
from app.models import Account, ExpiryNotice, Invite, LeakEvent, OAuthCode, Token, User, utcnow
from app.services import accounts, audit, mail, passwords, tokens
from app.urls import base_url

OPERATOR = "operator (oi server)"
REMINDER_DAYS = (1, 7)  # smallest first: a token with 12 hours left gets the 1-day mail only
# OAuth tokens renew themselves and live hours; user keys never expire. Reminders are for these.
REMINDED_KINDS = (policy.KIND_PAT, policy.KIND_API_TOKEN)


def revoke_tokens(
    *, token_id: str | None = None, account_id: str | None = None, user_id: str | None = None
) -> int:
    """Revoke one token, every token of a user, or of a whole account; returns how many."""
    query = select(Token).where(Token.revoked_at.is_(None))
    if token_id is not None:
        if db.session.get(Token, token_id) is None:
            raise NotFound(f"no token with id {token_id!r}")
        query = query.where(Token.id == token_id)
    else:
        assert account_id is not None
        owners = select(User.id).where(User.account_id == account_id)
        if user_id is not None:
            accounts.get_user(account_id, user_id)
            owners = owners.where(User.user_id == user_id)
        else:
            accounts.get_account(account_id)
        query = query.where(Token.user_pk.in_(owners))
    revoked = tokens.revoke(list(db.session.scalars(query)), "operator", actor=OPERATOR)
    db.session.commit()
    return len(revoked)


@dataclass(frozen=True)
class Purged:
    tokens: int
    invites: int
    codes: int


def purge_expired(older_than_days: int) -> Purged:
    """Delete tokens expired or revoked more than N days ago, and spent invites and codes.

    A token with a leak event is kept: the leaks page and leak checks still need it.
    """
    cutoff = utcnow() - dt.timedelta(days=older_than_days)
    has_leak = exists().where(LeakEvent.token_id == Token.id)
    tokens = db.session.execute(
        delete(Token)
        .where(or_(Token.expires_at < cutoff, Token.revoked_at < cutoff), ~has_leak)
        .execution_options(synchronize_session=False)
    )
    invites = db.session.execute(
        delete(Invite)
        .where(
            or_(Invite.expires_at < cutoff, Invite.claimed_at < cutoff, Invite.revoked_at < cutoff)
        )
        .execution_options(synchronize_session=False)
    )
    codes = db.session.execute(
        delete(OAuthCode)
        .where(OAuthCode.expires_at < utcnow() - dt.timedelta(days=1))
        .execution_options(synchronize_session=False)
    )
    purged = Purged(_count(tokens), _count(invites), _count(codes))
    audit.record(OPERATOR, "purge", "expired", **purged.__dict__)
    db.session.commit()
    return purged


def notify_expiring(now: dt.datetime | None = None) -> int:
    """Queue one reminder per token 7 days and 1 day before it expires; returns mails queued."""
    now = now or utcnow()
    queued = 0
    for token in _tokens_expiring(now, max(REMINDER_DAYS)):
        assert token.expires_at is not None and token.user.email
        left = token.expires_at - now
        days = next(d for d in REMINDER_DAYS if left <= dt.timedelta(days=d))
        db.session.add(ExpiryNotice(token_id=token.id, days_before=days, sent_at=now))
        mail.queue(token.user.email, *_reminder(token, days))
        try:
            db.session.commit()
        except IntegrityError:  # this reminder was claimed by another run
            db.session.rollback()
            continue
        queued += 1
    return queued


def create_admin(account_id: str, user_id: str, email: str, password: str) -> User:
    """The first admin of an account (made if missing), who signs in to the web UI."""
    if db.session.get(Account, account_id) is None:
        db.session.add(Account(account_id=account_id))
        audit.record(OPERATOR, "account.create", account_id)
    user = accounts.add_user(account_id, user_id, policy.ROLE_ADMIN, actor=OPERATOR, email=email)
    user.password_hash = passwords.hash_password(password)
    db.session.commit()
    return user


def _tokens_expiring(now: dt.datetime, within_days: int) -> list[Token]:
    """Live reminder-worthy tokens expiring within N days whose current reminder is unsent."""
    already = exists().where(
        ExpiryNotice.token_id == Token.id,
        # the notice for this token's current window: 1 day once inside the last day, else 7
        ExpiryNotice.days_before == _window_case(now),
    )
    query = (
        select(Token)
        .join(User)
        .where(
            Token.kind.in_(REMINDED_KINDS),
            Token.revoked_at.is_(None),
            Token.expires_at > now,
            Token.expires_at <= now + dt.timedelta(days=within_days),
            User.email.is_not(None),
            ~already,
        )
        .order_by(Token.expires_at)
    )
    return list(db.session.scalars(query))


def _window_case(now: dt.datetime) -> Any:
    return case((Token.expires_at <= now + dt.timedelta(days=1), 1), else_=7)


def _reminder(token: Token, days: int) -> tuple[str, str]:
    when = "tomorrow" if days == 1 else f"in {days} days"
    kind = "personal access token" if token.kind == policy.KIND_PAT else "API token"
    subject = f"Your {kind} {token.name!r} expires {when}"
    body = (
        f"Your {kind} {token.name!r} ({token.display_prefix}...{token.last4}, scope "
        f"{token.scope}) expires {when}, at {token.expires_at:%Y-%m-%d %H:%M} UTC.\n\n"
        f"Rotate it at {base_url()}/settings/tokens, or with `oi tokens rotate {token.id}`, "
        "and update whatever uses it.\n"
    )
    return subject, body


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
