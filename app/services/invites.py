"""Invites: an admin invites an email address into an account; the invitee claims it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import AlreadyExists, InvalidArgument, NotFound
from app.extensions import db
from app.models import Invite, User, utcnow
from app.services import accounts, audit, passwords
from app.services.ids import new_id
from scanner import formats

INVALID_INVITE = "invalid, expired, revoked or already claimed invite token"


@dataclass(frozen=True)
class IssuedInvite:
    row: Invite
    raw: str


def create(account_id: str, email: str, role: str, *, actor: str) -> IssuedInvite:
    accounts.get_account(account_id)
    email = email.strip().lower()
    _check_none_pending(account_id, email)
    raw = formats.INVITE_TOKEN.generate()
    ttl = dt.timedelta(hours=current_app.config["INVITE_TTL_HOURS"])
    row = Invite(
        id=new_id("inv_"),
        token_hash=formats.token_hash(raw),
        last4=raw[-4:],
        account_id=account_id,
        email=email,
        role=role,
        created_by=actor,
        created_at=utcnow(),
        expires_at=utcnow() + ttl,
    )
    db.session.add(row)
    audit.record(actor, "invite.create", row.id, account_id=account_id, role=role)
    db.session.commit()
    return IssuedInvite(row, raw)


def _check_none_pending(account_id: str, email: str) -> None:
    """One open invite per address and account: a second would leave two live links."""
    query = select(Invite).where(Invite.account_id == account_id, Invite.email == email)
    pending = [invite for invite in db.session.scalars(query) if status_of(invite) == "pending"]
    if pending:
        raise AlreadyExists(
            f"{email} already has a pending invite ({pending[0].id}): revoke it first"
        )


def list_for(account_id: str | None) -> list[Invite]:
    query = select(Invite).order_by(Invite.created_at.desc())
    if account_id is not None:
        query = query.where(Invite.account_id == account_id)
    return list(db.session.scalars(query))


def get(invite_id: str) -> Invite:
    invite = db.session.get(Invite, invite_id)
    if invite is None:
        raise NotFound(f"invite {invite_id!r} not found")
    return invite


def revoke(invite: Invite, *, actor: str) -> None:
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        audit.record(actor, "invite.revoke", invite.id)
        db.session.commit()


def status_of(invite: Invite) -> str:
    if invite.revoked_at is not None:
        return "revoked"
    if invite.claimed_at is not None:
        return "claimed"
    if invite.expires_at <= utcnow():
        return "expired"
    return "pending"


def claim(raw: str, password: str, user_id: str | None) -> User:
    """Create the invited user with a password; the invite cannot be used again."""
    invite = _pending_invite(raw)
    user_id = user_id or _user_id_from_email(invite.email)
    if accounts.find_by_login(invite.email) is not None:
        raise AlreadyExists("a user with this invite's email already exists")
    user = accounts.add_user(
        invite.account_id, user_id, invite.role, actor=f"invite {invite.id}", email=invite.email
    )
    user.password_hash = passwords.hash_password(password)
    invite.claimed_at, invite.claimed_user_id = utcnow(), user_id
    audit.record(f"{invite.account_id}/{user_id}", "invite.claim", invite.id)
    try:
        db.session.commit()
    except IntegrityError as error:  # a concurrent claim of the same invite got there first
        db.session.rollback()
        raise AlreadyExists("this invite has just been claimed") from error
    return user


def _pending_invite(raw: str) -> Invite:
    if not formats.INVITE_TOKEN.is_valid(raw):
        raise InvalidArgument(INVALID_INVITE)
    query = select(Invite).where(Invite.token_hash == formats.token_hash(raw))
    invite = db.session.scalars(query).first()
    if invite is None or status_of(invite) != "pending":
        raise InvalidArgument(INVALID_INVITE)
    return invite


def _user_id_from_email(email: str) -> str:
    local = "".join(ch for ch in email.split("@")[0] if ch.isalnum() or ch in "._-")
    return (local or "user")[:64]
