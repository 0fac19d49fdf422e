"""Invites: an admin invites an email address into an account; the invitee claims it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.errors import AlreadyExists, InvalidArgument, NotFound
from app.extensions import db
from app.models import Invite, User, WebSession, utcnow
from app.services import accounts, audit, mail, passwords
from app.services.ids import new_id
from app.urls import base_url
from scanner import formats

INVALID_INVITE = "invalid, expired, revoked or already claimed invite token"
PASSWORD_LINK_SUBJECT = "Set your tokenpatrol password"


@dataclass(frozen=True)
class IssuedInvite:
    row: Invite
    raw: str


def create(account_id: str, email: str, role: str, *, actor: str) -> IssuedInvite:
    """An invite for an address. When a user of this account already has it, the invite is
    their password link instead (their role stays theirs): how a user made through the API
    gets a password for the web UI."""
    accounts.get_account(account_id)
    email = email.strip().lower()
    _check_none_pending(account_id, email)
    existing = accounts.find_by_login(email)
    if existing is not None and existing.account_id != account_id:
        raise AlreadyExists("a user of another account has this email")
    ttl = dt.timedelta(hours=current_app.config["INVITE_TTL_HOURS"])
    issued = _issue(account_id, email, existing.role if existing else role, existing, ttl, actor)
    db.session.commit()
    return issued


def password_link(user: User, *, actor: str, email: str | None = None) -> IssuedInvite:
    """A link, mailed to the user, that sets their password; it expires soon, works once and
    replaces any earlier one. `email` gives the user an address when they have none."""
    if email:
        _give_email(user, email.strip().lower())
    if not user.email:
        raise InvalidArgument("this user has no email: give one to mail the link to")
    for earlier in _pending_links(user):
        earlier.revoked_at = utcnow()
    ttl = dt.timedelta(minutes=current_app.config["PASSWORD_LINK_TTL_MINUTES"])
    issued = _issue(user.account_id, user.email, user.role, user, ttl, actor)
    minutes = int(ttl.total_seconds() // 60)
    mail.queue(
        user.email, PASSWORD_LINK_SUBJECT, _link_mail(link_url(issued), minutes), secret=True
    )
    db.session.commit()
    return issued


def forgot_password(login: str) -> None:
    """ "Forgot password?": a link for the user the login names, if any; the answer is the same
    whether or not one exists, so the page tells nobody which addresses have an account."""
    user = accounts.find_by_login(login.strip())
    if user is not None and user.email:
        password_link(user, actor=f"{user.account_id}/{user.user_id} (forgot password)")


def link_url(issued: IssuedInvite) -> str:
    """The page that takes it; the token rides after `#`, so no server or proxy logs it."""
    page = "reset-password" if issued.row.user_pk is not None else "invite"
    return f"{base_url()}/{page}#{issued.raw}"


def _issue(
    account_id: str, email: str, role: str, user: User | None, ttl: dt.timedelta, actor: str
) -> IssuedInvite:
    raw = formats.INVITE_TOKEN.generate()
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
        user_pk=user.id if user else None,
    )
    db.session.add(row)
    action = "invite.create" if user is None else "password_link.create"
    audit.record(actor, action, row.id, account_id=account_id, role=role)
    return IssuedInvite(row, raw)


def _give_email(user: User, email: str) -> None:
    if user.email == email:
        return
    holder = accounts.find_by_login(email)
    if holder is not None:
        raise AlreadyExists("another user has this email")
    user.email = email


def _pending_links(user: User) -> list[Invite]:
    query = select(Invite).where(Invite.user_pk == user.id)
    return [link for link in db.session.scalars(query) if status_of(link) == "pending"]


def _link_mail(url: str, minutes: int) -> str:
    return (
        "Someone (you, or an admin of your account) asked for a link to set your tokenpatrol "
        f"password:\n\n{url}\n\nIt works once, for {minutes} minutes. If you did not ask "
        "for it, ignore this mail: your password stays as it is.\n"
    )


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
    """Set the password: of the invited new user, made now, or of the existing user a password
    link is for (their other web sessions end). Either way the link cannot be used again."""
    invite = _pending_invite(raw)
    if invite.user_pk is not None:
        user = _existing_user(invite)
    else:
        user = _new_user(invite, user_id or _user_id_from_email(invite.email))
    user.password_hash = passwords.hash_password(password)
    invite.claimed_at, invite.claimed_user_id = utcnow(), user.user_id
    audit.record(f"{invite.account_id}/{user.user_id}", "invite.claim", invite.id)
    try:
        db.session.commit()
    except IntegrityError as error:  # a concurrent claim of the same invite got there first
        db.session.rollback()
        raise AlreadyExists("this invite has just been claimed") from error
    return user


def _new_user(invite: Invite, user_id: str) -> User:
    if accounts.find_by_login(invite.email) is not None:
        raise AlreadyExists("a user with this invite's email already exists")
    return accounts.add_user(
        invite.account_id, user_id, invite.role, actor=f"invite {invite.id}", email=invite.email
    )


def _existing_user(invite: Invite) -> User:
    user = db.session.get(User, invite.user_pk)
    if user is None:  # pragma: no cover - the link's row goes with its user (ON DELETE CASCADE)
        raise InvalidArgument(INVALID_INVITE)
    db.session.execute(
        update(WebSession)
        .where(WebSession.user_pk == user.id, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
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
